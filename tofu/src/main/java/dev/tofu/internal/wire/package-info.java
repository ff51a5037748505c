/**
 * The byte format of PROTOCOL.md §1: the 16-byte binary header
 * ({@link dev.tofu.internal.wire.FrameHeader}), frame reading and writing over a blocking byte
 * channel ({@link dev.tofu.internal.wire.FrameReader}, {@link dev.tofu.internal.wire.FrameWriter}),
 * the text-header parser, the checks a received frame must pass
 * ({@link dev.tofu.internal.wire.ReceiveRules}, §1.8) and the direct buffers the readers and writers
 * stage bytes in.
 *
 * <p>Threads: a {@code FrameReader} is used by one channel's reader thread
 * ({@code tofu-ch-<n>-reader}), a {@code FrameWriter} by its writer thread
 * ({@code tofu-ch-<n>-writer}) or by a posting thread that holds the channel's writing rights
 * (the direct write strategy); the parser runs on any thread that reads headers. The socket side
 * (who reads, who writes, when) is {@code dev.tofu.internal.io}'s. {@code DirectMemory} owns the
 * one platform thread here, {@code tofu-direct-alloc}. Uses {@code dev.tofu} and
 * {@code internal.message}; knows nothing of channels or groups.
 */
package dev.tofu.internal.wire;
