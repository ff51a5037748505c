/**
 * What a message is made of and where it rests: the striped {@link dev.tofu.internal.message.MessagePool}
 * shared by one engine, the growable {@link dev.tofu.internal.message.ByteBuf} behind text headers
 * and bodies, {@link dev.tofu.internal.message.Owner} (application, engine or pool),
 * {@link dev.tofu.internal.message.MessageAccess} (the engine's access to a message's fields),
 * the post-time checks of PROTOCOL.md §2.2 rules 0–9 ({@link dev.tofu.internal.message.PostRules})
 * and the process-wide message-id counter.
 *
 * <p>Threads: everything here runs on whichever thread calls it (application threads, channel
 * readers and writers) and is safe from any thread; nothing here starts a thread or blocks on
 * IO. Uses {@code dev.tofu} and {@code internal.concurrent} only.
 */
package dev.tofu.internal.message;
