package dev.tofu.testing;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fails a test class if any engine thread (a virtual thread named {@code tofu-ch-…}) pinned its
 * carrier while the class ran.
 *
 * <p>It streams the JFR event {@code jdk.VirtualThreadPinned} with threshold zero (the default
 * 20 ms threshold hides short pins). This is the check that keeps Java 21 users safe even though the
 * tests run on a newer JDK: on Java 21, a virtual thread that blocks inside {@code synchronized}
 * pins its carrier, and with two carriers a few pins stall the whole engine. JDK 24+ no longer pins
 * on monitors (JEP 491), so there the guard catches the remaining causes (native frames, class
 * initialisers); the code rule "no {@code synchronized} around anything that can block" covers the
 * rest.
 *
 * <p>Pins while a class is loaded or initialised are not counted: they happen once per class per
 * JVM, on every JDK, whoever touches the class first. That includes a Java agent transforming a
 * class as it loads ({@code sun.instrument} frames): the Jazzer fuzz tests attach one to the test
 * JVM, and its transform runs under the VM's class-load hook, a native frame. The engine
 * initialises the classes its threads use when a reactor is created, so they do not stall
 * channels; the guard is about pins that can repeat in steady state. Nor are pins inside the JDK's
 * own bookkeeping monitors (a thread's interrupt lock, the poller's and the thread container's
 * registries): see {@link #isJdkBookkeeping(List)}. Nor, finally, are pins in the application's code
 * that a tofu thread runs (a test's request handler): the guard is about tofu's code, and a handler
 * first linking a string concatenation or throwing a JDK exception can meet a VM-internal lock
 * with no frame that says so (seen in CI); see {@link #isApplicationCode(List, Predicate)}.
 */
public final class PinningGuard implements BeforeAllCallback, AfterAllCallback {
    /** Thread-name prefix of every engine thread. */
    public static final String ENGINE_THREAD_PREFIX = "tofu-ch-";

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PinningGuard.class);

    private final String prefix;

    /** A guard for engine threads. */
    public PinningGuard() {
        this(ENGINE_THREAD_PREFIX);
    }

    /** A guard for threads whose name starts with {@code prefix} (tests of the guard itself). */
    public PinningGuard(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Recorder r = new Recorder(prefix);
        context.getStore(NS).put(Recorder.class, r);
        r.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Recorder r = context.getStore(NS).remove(Recorder.class, Recorder.class);
        if (r == null) {
            return;
        }
        List<String> pins = r.stop();
        if (!pins.isEmpty()) {
            fail("engine virtual threads pinned their carrier " + pins.size() + " time(s) in "
                    + context.getDisplayName() + ":\n" + String.join("\n", pins));
        }
    }

    /**
     * Whether the pin happened inside one of the JDK's own bookkeeping monitors that every caller of
     * a blocking socket or of {@code Thread.start} goes through, held for microseconds and
     * unavoidable from outside the JDK. Not tofu's code; see {@link #isJdkBookkeeping(List)}.
     */
    static boolean isJdkBookkeepingLock(RecordedEvent e) {
        return isJdkBookkeeping(frames(e));
    }

    /** The event's stack, innermost first, as {@code Type.method}; empty without a stack. */
    private static List<String> frames(RecordedEvent e) {
        var stack = e.getStackTrace();
        return stack == null ? List.of() : stack.getFrames().stream()
                .map(f -> f.getMethod().getType().getName() + "." + f.getMethod().getName())
                .toList();
    }

    /** The JDK methods that enter a thread's interrupt lock (JDK 21-25). */
    private static final java.util.Set<String> INTERRUPT_LOCK_FRAMES = java.util.Set.of(
            "java.lang.Thread.blockedOn", "java.lang.Thread.interrupt", "java.lang.Thread.getAndClearInterrupt",
            "java.lang.VirtualThread.interrupt", "java.lang.VirtualThread.getAndClearInterrupt",
            "java.lang.VirtualThread.mount", "java.lang.VirtualThread.unmount");

    /** How many of the innermost frames {@link #isJdkBookkeeping(List)} looks at. */
    public static final int BOOKKEEPING_DEPTH = 8;

    /**
     * Whether a pinned stack (innermost first, as {@code Type.method}) is inside the JDK's own
     * bookkeeping, known by a frame among the innermost {@link #BOOKKEEPING_DEPTH}:
     * <ul>
     *   <li>a thread's interrupt lock, entered by every interruptible socket operation
     *       ({@code Thread.blockedOn}; seen on JDK 25 as "Contended monitor enter" in
     *       {@code SocketChannelImpl.endRead} and {@code ServerSocketChannelImpl.end}), by a virtual
     *       thread's mount and unmount, and by {@code interrupt} and its clearing;</li>
     *   <li>{@code sun.nio.ch.Poller…}: the JDK's registry of sockets that virtual threads wait on,
     *       a {@code ConcurrentHashMap} like the next one;</li>
     *   <li>{@code jdk.internal.vm.ThreadContainer…}: the root thread container records every
     *       started virtual thread in a {@code ConcurrentHashMap} ({@code jdk.trackAllThreads}, on
     *       by default), so {@code Thread.start} and thread exit can meet a contended bin monitor
     *       (seen in CI as a 16 µs pin at {@code ConcurrentHashMap.putVal <- …TrackingRootContainer
     *       .onStart <- VirtualThread.start}).</li>
     * </ul>
     * A pin anywhere else, in particular a monitor held by tofu's code, is counted.
     */
    public static boolean isJdkBookkeeping(List<String> innermostFrames) {
        for (int i = 0; i < Math.min(BOOKKEEPING_DEPTH, innermostFrames.size()); i++) {
            String frame = innermostFrames.get(i);
            if (INTERRUPT_LOCK_FRAMES.contains(frame) || frame.startsWith("jdk.internal.vm.ThreadContainer")
                    || frame.startsWith("sun.nio.ch.Poller")) {
                return true;
            }
        }
        return false;
    }

    /** Whether the pinned stack is loading or initialising a class (a one-time pin). */
    static boolean isClassLoading(RecordedEvent e) {
        Object reason = e.hasField("pinnedReason") ? e.getValue("pinnedReason") : null;
        if (reason != null && reason.toString().contains("initialization")) {
            return true; // JDK 24+: "Waited for initialization of <class> by another thread"
        }
        return isClassLoadingStack(frames(e));
    }

    /**
     * Whether a pinned stack (as {@code Type.method}) loads or initialises a class: a class
     * initialiser, a class loader's {@code loadClass}, JFR's own lazy set-up, or a Java agent's
     * transform of a class as it loads.
     */
    public static boolean isClassLoadingStack(List<String> frames) {
        for (String frame : frames) {
            int dot = frame.lastIndexOf('.');
            String type = dot < 0 ? "" : frame.substring(0, dot);
            String method = frame.substring(dot + 1);
            if (method.equals("<clinit>") || method.equals("loadClass") || method.equals("loadClassOrNull")
                    || type.startsWith("jdk.jfr.") || type.startsWith("sun.instrument.")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a pinned stack (innermost first, as {@code Type.method}) is in the application's code
     * rather than tofu's: its innermost frame outside the JDK belongs to a type that is not the
     * library's. A stack made only of JDK frames, or whose innermost other frame is the library's,
     * is tofu's to answer for.
     *
     * @param frames        the stack, innermost first
     * @param isLibraryType whether a type (by name) is part of the tofu library
     */
    public static boolean isApplicationCode(List<String> frames, Predicate<String> isLibraryType) {
        for (String frame : frames) {
            int dot = frame.lastIndexOf('.');
            String type = dot < 0 ? frame : frame.substring(0, dot);
            if (!isJdkType(type)) {
                return !isLibraryType.test(type);
            }
        }
        return false;
    }

    private static boolean isJdkType(String type) {
        return type.startsWith("java.") || type.startsWith("javax.") || type.startsWith("jdk.")
                || type.startsWith("sun.") || type.startsWith("com.sun.");
    }

    /**
     * Whether the named type was loaded from where the library's classes come from. A type that
     * cannot be found (a hidden class other than a lambda's) counts as the library's, so an
     * unknown frame never hides a pin.
     */
    public static boolean isLibraryType(String type) {
        int lambda = type.indexOf("$$Lambda");
        String name = lambda < 0 ? type : type.substring(0, lambda);
        try {
            Class<?> c = Class.forName(name, false, PinningGuard.class.getClassLoader());
            return Objects.equals(codeSource(c), LIBRARY_CODE_SOURCE);
        } catch (ClassNotFoundException | LinkageError e) {
            return true;
        }
    }

    private static final Object LIBRARY_CODE_SOURCE = codeSource(dev.tofu.Message.class);

    private static Object codeSource(Class<?> c) {
        var domain = c.getProtectionDomain();
        var source = domain == null ? null : domain.getCodeSource();
        return source == null ? null : source.getLocation();
    }

    /** One recording: start it, run code, stop it and read the pins of matching threads. */
    public static final class Recorder {
        private final String prefix;
        private final boolean countExcused;
        private final List<String> pins = new CopyOnWriteArrayList<>();
        private final RecordingStream stream = new RecordingStream();

        /**
         * Records pins of threads whose name starts with {@code prefix}, except those the guard
         * excuses: one-time class loading, the JDK's bookkeeping, the application's own code.
         */
        public Recorder(String prefix) {
            this(prefix, false);
        }

        /**
         * Records pins of threads whose name starts with {@code prefix}; with {@code countExcused},
         * also those of one-time class loading and of the application's own code (tests of the guard
         * make their pins in such code).
         */
        public Recorder(String prefix, boolean countExcused) {
            this.prefix = prefix;
            this.countExcused = countExcused;
            stream.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            stream.onEvent("jdk.VirtualThreadPinned", this::onPinned);
        }

        /** Starts recording in the background. */
        public void start() {
            stream.startAsync();
        }

        /** Stops recording, after every recorded event was consumed, and returns the pins seen. */
        public List<String> stop() {
            stream.stop();
            stream.close();
            return List.copyOf(pins);
        }

        private void onPinned(RecordedEvent e) {
            RecordedThread t = e.getThread("eventThread");
            String name = t == null ? null : t.getJavaName();
            if (name != null && name.startsWith(prefix) && !isJdkBookkeepingLock(e)
                    && (countExcused || !isClassLoading(e) && !isApplicationCode(frames(e), PinningGuard::isLibraryType))) {
                var stack = e.getStackTrace();
                String top = stack == null || stack.getFrames().isEmpty() ? "?"
                        : stack.getFrames().subList(0, Math.min(8, stack.getFrames().size())).stream()
                        .map(f -> f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber())
                        .reduce((a, b) -> a + " <- " + b).orElse("?");
                StringBuilder fields = new StringBuilder();
                for (var f : e.getFields()) {
                    if (!f.getName().equals("stackTrace") && !f.getName().equals("eventThread")) {
                        Object v = e.getValue(f.getName());
                        fields.append(' ').append(f.getName()).append('=')
                                .append(v instanceof jdk.jfr.consumer.RecordedThread rt ? rt.getJavaName() : v);
                    }
                }
                pins.add(name + " pinned for " + e.getDuration().toNanos() / 1000 + " µs [" + fields + " ] at " + top);
            }
        }
    }
}
