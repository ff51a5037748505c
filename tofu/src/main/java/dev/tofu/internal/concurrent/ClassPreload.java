package dev.tofu.internal.concurrent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way tofu loads and initialises classes ahead of use: on the thread that creates the first
 * reactor (the engine's list) or starts the first server or client (the request/response layer's).
 *
 * <p>Why: loading or initialising a class pins a virtual thread's carrier (on every JDK so far,
 * JEP 491 included), and many virtual threads touching a new class at once contend for its
 * class-loading lock. With two carriers, a few such pins stall every channel for the length of the
 * class load, so the library's virtual threads must never be the first to touch a class they use.
 *
 * <p>Threads: any thread; idempotent (a class already initialised costs a lookup). A class that
 * cannot be found or linked is only logged: preloading is an optimisation, never a requirement.
 */
public final class ClassPreload {
    private static final Logger LOG = LoggerFactory.getLogger(ClassPreload.class);

    private ClassPreload() {
    }

    /** Initialises the classes named (binary names, so nested and JDK-internal classes can be listed). */
    public static void load(ClassLoader loader, String... names) {
        for (String name : names) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                LOG.debug("preload of {} failed", name, e);
            }
        }
    }

    /** Initialises {@code types} (a class literal loads a class but does not initialise it). */
    public static void load(Class<?>... types) {
        for (Class<?> t : types) {
            try {
                Class.forName(t.getName(), true, t.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                LOG.debug("preload of {} failed", t.getName(), e);
            }
        }
    }
}
