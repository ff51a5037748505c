/**
 * Small concurrency tools with no knowledge of messages or sockets:
 * {@link dev.tofu.internal.concurrent.SpinLock}, a lock for critical sections of a few
 * instructions that never parks (so a virtual thread holding or wanting it never unmounts or pins).
 *
 * <p>Threads: used from any thread. Uses the JDK only.
 */
package dev.tofu.internal.concurrent;
