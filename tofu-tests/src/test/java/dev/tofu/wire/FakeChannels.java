package dev.tofu.wire;

import dev.tofu.internal.message.MessageStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.util.Random;

/**
 * Fake byte channels for the codec tests (STYLE.md: "tests with fakes that cap bytes per read and
 * write"). Every fake is single-threaded and deterministic for a given seed.
 */
final class FakeChannels {

    private FakeChannels() {
    }

    /** A readable channel over {@code data} that hands out one byte per {@code read}. */
    static ReadableByteChannel oneBytePerRead(byte[] data) {
        return new ChunkedReader(data, null, 1);
    }

    /**
     * A readable channel over {@code data} that hands out between 1 and {@code maxChunk} bytes per
     * {@code read}, chosen by a seeded random (and now and then 0 bytes, as a blocking channel may).
     */
    static ReadableByteChannel randomChunks(byte[] data, long seed, int maxChunk) {
        return new ChunkedReader(data, new Random(seed), maxChunk);
    }

    /** Returns the raw status byte of a message (the public getter maps it to an enum). */
    static int statusRaw(MessageStore m) {
        return m.statusRaw();
    }

    /** Returns the raw opcode of a message. */
    static int opCodeRaw(MessageStore m) {
        return m.opCodeRaw();
    }

    /** A reader that serves {@code data} in capped chunks. */
    static final class ChunkedReader implements ReadableByteChannel {
        private final byte[] data;
        private final Random random;
        private final int maxChunk;
        private int position;
        private int reads;
        private boolean open = true;

        ChunkedReader(byte[] data, Random random, int maxChunk) {
            this.data = data;
            this.random = random;
            this.maxChunk = maxChunk;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (!open) {
                throw new IOException("closed");
            }
            reads++;
            if (position == data.length) {
                return -1;
            }
            int cap = maxChunk;
            if (random != null) {
                if (random.nextInt(16) == 0) {
                    return 0;
                }
                cap = 1 + random.nextInt(maxChunk);
            }
            int n = Math.min(Math.min(cap, dst.remaining()), data.length - position);
            dst.put(data, position, n);
            position += n;
            return n;
        }

        /** Returns how many bytes were handed out. */
        int consumed() {
            return position;
        }

        /** Returns how many times read was called. */
        int reads() {
            return reads;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /**
     * A gathering channel that accepts at most {@code maxPerWrite} bytes per call (a random amount
     * in 1..maxPerWrite when seeded) and, if {@code failAfter >= 0}, throws {@link IOException} on
     * the first call after exactly {@code failAfter} bytes were accepted.
     */
    static final class CappedWriter implements GatheringByteChannel {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Random random;
        private final int maxPerWrite;
        private final long failAfter;
        private int calls;

        CappedWriter(int maxPerWrite, Random random, long failAfter) {
            this.maxPerWrite = maxPerWrite;
            this.random = random;
            this.failAfter = failAfter;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            calls++;
            if (failAfter >= 0 && out.size() >= failAfter) {
                throw new IOException("fake: connection reset after " + out.size() + " bytes");
            }
            long budget = random == null ? maxPerWrite : 1 + random.nextInt(maxPerWrite);
            if (failAfter >= 0) {
                budget = Math.min(budget, failAfter - out.size());
            }
            long written = 0;
            for (int i = offset; i < offset + length && written < budget; i++) {
                ByteBuffer b = srcs[i];
                while (b.hasRemaining() && written < budget) {
                    out.write(b.get());
                    written++;
                }
            }
            return written;
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return (int) write(new ByteBuffer[] {src}, 0, 1);
        }

        /** Returns every byte accepted so far. */
        byte[] bytes() {
            return out.toByteArray();
        }

        /** Returns how many times a write method was called. */
        int calls() {
            return calls;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
