package dev.tofu;

/**
 * An immutable snapshot of a message's binary header. {@link ChannelGroup#post(Message)} returns
 * one holding the channel number and message id the engine assigned.
 *
 * @param channel   the local channel number, 0..65535
 * @param opCode    the opcode
 * @param origin    who produced the message
 * @param more      whether more messages with the same id follow
 * @param status    the status
 * @param messageId the message id (unsigned 64-bit on the wire)
 */
public record BinaryHeader(int channel, OpCode opCode, Origin origin, boolean more, Status status, long messageId) {
}
