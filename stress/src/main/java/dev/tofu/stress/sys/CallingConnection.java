package dev.tofu.stress.sys;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A {@link Connection} over a blocking request/response call ({@link Caller}), for RPC systems:
 * with one message in flight the driver thread itself calls (pingpong is exactly one call); with K
 * in flight, K virtual threads per connection call concurrently and hand their answers to the
 * driver, which takes them in send order.
 *
 * <p>The K-in-flight path is built to cost the harness as little as possible per call, since the
 * harness charges its own allocation and CPU to the system it measures: no allocation per call in
 * steady state (besides what the {@link Caller} does), no lock, no timed park, one unpark of the
 * caller per send and at most one unpark of the driver per receive.
 *
 * <p>Threads and what they call:
 * <ul>
 *   <li>the driver thread (one per connection): {@link #send}, {@link #receive}, {@link #close};
 *   <li>K caller threads ("rpc-caller", virtual): {@link #callLoop}, each on a slot of its own;
 *   <li>any thread (the Runner's watchdog): {@link #abort};
 *   <li>the {@link Waker} thread (one per JVM): unparks a driver whose receive deadline passed.
 * </ul>
 *
 * <p>Invariants (K &gt; 1):
 * <ul>
 *   <li>The driver has at most K messages sent and not received, and receives them in send order,
 *       so message {@code seq} goes to slot {@code seq % K}, whose previous message
 *       ({@code seq - K}) was already received: a slot holds at most one message.
 *   <li>A slot's state moves EMPTY → REQUEST (driver, in send) → ANSWERED or FAILED (its caller) →
 *       EMPTY (driver, in receive). Whoever sets the state owns the slot's buffers until it sets the
 *       next one; the volatile state write publishes them to the other side.
 *   <li>A caller parks untimed while its slot is not REQUEST; send unparks it, close and abort
 *       unpark every caller (they then see {@code closed} and end).
 *   <li>The driver parks untimed while the slot it receives from is not answered, announcing it in
 *       {@code waitingFor} (the slot) and {@code waitDeadline}: the caller that answers that slot
 *       unparks it (both sides write their volatile then read the other's, so one of them sees the
 *       other), the {@link Waker} unparks it once the deadline passed, abort unparks it at once.
 *       Stray unparks are harmless: every park is in a loop that checks its condition.
 * </ul>
 */
final class CallingConnection implements Connection {
    /** One blocking unary call. */
    interface Caller {
        /**
         * Calls with {@code request.data[0, request.length)} and puts the response body into
         * {@code reply} ({@code data} and {@code length}; it may grow {@code data} with
         * {@link Reply#room} or replace it by a fresh array nobody else holds). The request is the
         * caller's to read until this returns; nothing may keep it.
         *
         * @return false when no answer came within {@code timeoutNanos} (the request is then gone)
         */
        boolean call(Request request, long timeoutNanos, Reply reply) throws IOException;
    }

    /** A request payload in a buffer reused from call to call: {@code data[0, length)}. */
    static final class Request {
        byte[] data = new byte[16];
        int length;

        /** Copies {@code payload[0, n)} in, growing the buffer when needed. */
        void set(byte[] payload, int n) {
            if (data.length < n) {
                data = new byte[Math.max(n, data.length * 2)];
            }
            System.arraycopy(payload, 0, data, 0, n);
            length = n;
        }
    }

    static final long CALLER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private static final int EMPTY = 0;
    private static final int REQUEST = 1;
    private static final int ANSWERED = 2;
    private static final int FAILED = 3;

    /** One message's place: its request, its answer, its caller thread. */
    private static final class Slot {
        final Request request = new Request();
        final Reply reply = new Reply(16);
        /** EMPTY, REQUEST, ANSWERED or FAILED; see the class comment for who sets what. */
        volatile int state;
        /** Why the call failed (FAILED only). */
        String failure;
        Thread caller;
    }

    private final Caller caller;
    private final Runnable closer;
    private final Runnable aborter;
    private final int inFlight;
    private final Slot[] slots;       // inFlight > 1 only
    private int sendSlot;             // driver only: the slot of the next send
    private int receiveSlot;          // driver only: the slot of the next receive
    private final Request single;     // inFlight == 1: the request the next receive() calls with
    private boolean pending;          // inFlight == 1, driver only: single holds a request not called yet
    private volatile boolean closed;
    /** The driver thread, once it has waited (read by callers, the waker and abort). */
    private volatile Thread driver;
    /** The slot the driver is parked on, or -1. */
    private volatile int waitingFor = -1;
    /** When the driver's current wait ends ({@link System#nanoTime}), or 0 when it is not waiting. */
    private volatile long waitDeadline;

    /**
     * @param closer  closes the underlying channel gracefully (after every caller ended)
     * @param aborter tears it down at once, any thread
     */
    CallingConnection(Caller caller, int inFlight, Runnable closer, Runnable aborter) {
        this.caller = caller;
        this.closer = closer;
        this.aborter = aborter;
        this.inFlight = Math.max(1, inFlight);
        if (this.inFlight == 1) {
            slots = null;
            single = new Request();
            return;
        }
        single = null;
        slots = new Slot[this.inFlight];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot();
        }
        for (int i = 0; i < slots.length; i++) {
            Slot s = slots[i];
            int index = i;
            s.caller = Thread.ofVirtual().name("rpc-caller").unstarted(() -> callLoop(s, index));
        }
        Waker.register(this);
        for (Slot s : slots) {
            s.caller.start();
        }
    }

    @Override
    public void send(byte[] payload, int length, long messageId, boolean more) throws IOException {
        if (slots == null) {
            single.set(payload, length);
            pending = true;
            return;
        }
        Slot s = slots[sendSlot];
        if (s.state != EMPTY) {
            throw new IOException("more than " + inFlight + " messages in flight");
        }
        s.request.set(payload, length);
        s.state = REQUEST;
        LockSupport.unpark(s.caller);
        sendSlot = sendSlot + 1 == slots.length ? 0 : sendSlot + 1;
    }

    @Override
    public boolean receive(Reply reply, long timeoutNanos) throws IOException {
        reply.clear();
        if (slots == null) {
            if (!pending) {
                return false;
            }
            pending = false;
            return caller.call(single, timeoutNanos, reply);
        }
        int index = receiveSlot;
        Slot s = slots[index];
        int state = s.state;
        if (state < ANSWERED) {
            state = await(s, index, timeoutNanos);
            if (state < ANSWERED) {
                return false;
            }
        }
        receiveSlot = index + 1 == slots.length ? 0 : index + 1;
        if (state == FAILED) {
            String why = s.failure;
            s.failure = null;
            s.state = EMPTY;
            throw new IOException("call failed: " + why);
        }
        // hand the answer's array to the driver's reply and keep the reply's old one for the slot
        Reply answer = s.reply;
        byte[] old = reply.data;
        reply.data = answer.data;
        reply.length = answer.length;
        answer.data = old;
        answer.length = 0;
        s.state = EMPTY;
        return true;
    }

    /**
     * Parks the driver until slot {@code index} is answered, the deadline passed or the connection
     * was closed.
     *
     * @return the slot's state (below ANSWERED on timeout)
     */
    private int await(Slot s, int index, long timeoutNanos) throws IOException {
        long deadline = System.nanoTime() + Math.max(0, timeoutNanos);
        if (deadline == 0) {
            deadline = 1; // 0 means "not waiting"
        }
        if (driver == null) {
            driver = Thread.currentThread();
        }
        waitDeadline = deadline;
        waitingFor = index;
        try {
            int state;
            while ((state = s.state) < ANSWERED) {
                if (closed) {
                    throw new IOException("connection closed");
                }
                if (System.nanoTime() - deadline >= 0) {
                    return state;
                }
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    throw new IOException("interrupted while waiting for a reply");
                }
            }
            return state;
        } finally {
            waitingFor = -1;
            waitDeadline = 0;
        }
    }

    /** A caller thread: waits for its slot's request, calls, answers, and again until closed. */
    private void callLoop(Slot s, int index) {
        while (true) {
            while (s.state != REQUEST) {
                if (closed) {
                    return;
                }
                LockSupport.park(this);
            }
            if (closed) {
                return;
            }
            String failure;
            try {
                failure = caller.call(s.request, CALLER_TIMEOUT_NANOS, s.reply) ? null : "no answer within 30 s";
            } catch (IOException | RuntimeException | Error e) {
                failure = String.valueOf(e.getMessage());
            }
            s.failure = failure;
            s.state = failure == null ? ANSWERED : FAILED;
            if (waitingFor == index) {
                LockSupport.unpark(driver);
            }
        }
    }

    /** Caller threads still alive (tests). */
    int liveCallers() {
        int n = 0;
        if (slots != null) {
            for (Slot s : slots) {
                if (s.caller.isAlive()) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Unparks the driver when it waits past its deadline (the {@link Waker} thread). */
    private void wakeIfLate(long now) {
        long d = waitDeadline;
        if (d != 0 && now - d >= 0) {
            LockSupport.unpark(driver);
        }
    }

    @Override
    public void close(Consumer<Reply> late) {
        closed = true;
        if (slots != null) {
            Waker.unregister(this);
            for (Slot s : slots) {
                LockSupport.unpark(s.caller);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            for (Slot s : slots) {
                long left = deadline - System.nanoTime();
                try {
                    if (left <= 0 || !s.caller.join(Duration.ofNanos(left))) {
                        break; // a call still runs: closing the channel ends it
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        closer.run();
    }

    @Override
    public void abort() {
        closed = true;
        if (slots != null) {
            Waker.unregister(this);
            for (Slot s : slots) {
                LockSupport.unpark(s.caller);
            }
            Thread d = driver;
            if (d != null) {
                LockSupport.unpark(d);
            }
        }
        aborter.run();
    }

    /**
     * Ends the receive waits that outlast their deadline: drivers park untimed, because a timed
     * park of a virtual thread schedules (allocates) a timer task per wait. One daemon platform
     * thread for the JVM, ticking every {@link #TICK_NANOS} while any K-in-flight connection is
     * open and parked otherwise; a receive's timeout is thus honoured to within a tick.
     */
    private static final class Waker {
        private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
        private static final Set<CallingConnection> LIVE = ConcurrentHashMap.newKeySet();
        private static final Thread THREAD = Thread.ofPlatform().daemon().name("calling-connection-waker")
                .start(Waker::run);

        static void register(CallingConnection c) {
            LIVE.add(c);
            LockSupport.unpark(THREAD);
        }

        static void unregister(CallingConnection c) {
            LIVE.remove(c);
        }

        private static void run() {
            while (true) {
                if (LIVE.isEmpty()) {
                    LockSupport.park(Waker.class);
                    continue;
                }
                LockSupport.parkNanos(Waker.class, TICK_NANOS);
                long now = System.nanoTime();
                for (CallingConnection c : LIVE) {
                    c.wakeIfLate(now);
                }
            }
        }
    }
}
