/**
 * Small concurrency tools with no knowledge of messages or sockets:
 * {@link dev.tofu.internal.concurrent.SpinLock} (a lock for critical sections of a few instructions
 * that never parks, so a virtual thread holding or wanting it never unmounts or pins),
 * {@link dev.tofu.internal.concurrent.Slots} (a bounded count: connected channels, accepted
 * channels per listener), {@link dev.tofu.internal.concurrent.SpinSlots} (how many readers may
 * spin at once, JVM-wide), {@link dev.tofu.internal.concurrent.WaitTimer} (one shared deadline
 * timer for long timed waits) and {@link dev.tofu.internal.concurrent.ClassPreload} (loads classes
 * ahead of use so no virtual thread pins on a class load).
 *
 * <p>Threads: used from any thread. {@code WaitTimer} owns the one thread here, the platform
 * daemon {@code tofu-wait-timer}, started on demand. Uses the JDK and SLF4J only.
 */
package dev.tofu.internal.concurrent;
