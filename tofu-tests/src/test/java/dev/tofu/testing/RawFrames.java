package dev.tofu.testing;

import dev.tofu.Message;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameReader;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;

/** Builds messages as a peer's raw bytes would arrive, for tests that need wire-only shapes. */
public final class RawFrames {
    private RawFrames() {
    }

    /**
     * Returns the message a reader decodes from one frame (Request, channel 1, message id 1, no
     * body) whose text-header section is exactly the UTF-8 bytes of {@code section}, which the strict
     * writer could not produce (untrimmed names, empty names, missing CR LF ...).
     */
    public static Message receivedWithTextSection(String section) {
        byte[] th = section.getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[FrameHeader.SIZE + th.length];
        FrameHeader.encode(frame, 0, 1, 0, 0, 1, th.length, 0);
        System.arraycopy(th, 0, frame, FrameHeader.SIZE, th.length);
        Message m = new Message();
        try {
            if (!new FrameReader(Channels.newChannel(new ByteArrayInputStream(frame))).readFrame(new FrameHeader(),
                    dev.tofu.internal.message.MessageAccess.get().store(m))) {
                throw new IllegalStateException("no frame decoded");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }
}
