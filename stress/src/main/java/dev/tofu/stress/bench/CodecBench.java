package dev.tofu.stress.bench;

import dev.tofu.internal.message.MessageStore;
import dev.tofu.OpCode;
import dev.tofu.internal.wire.FrameHeader;
import dev.tofu.internal.wire.FrameReader;
import dev.tofu.internal.wire.FrameWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.TimeUnit;

/**
 * The wire codec (PROTOCOL.md §1): the 16-byte header alone, and a whole frame (header, one text
 * header, body) written through {@link FrameWriter} to a sink and read back through
 * {@link FrameReader} from an endless in-memory stream.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBench {
    @Param({"64", "4096"})
    int size;

    private final byte[] header = new byte[FrameHeader.SIZE];
    private final FrameHeader decoded = new FrameHeader();
    private MessageStore message;
    private final MessageStore[] batch = new MessageStore[1];
    private FrameWriter writer;
    private FrameReader reader;
    private MessageStore target;

    @Setup
    public void setup() {
        dev.tofu.Message built = new dev.tofu.Message();
        built.opCode(OpCode.REQUEST).channel(0x1234).messageId(42).more(true);
        built.headers().append("Content-Type", "application/octet-stream");
        built.body().append(new byte[size]);
        message = dev.tofu.internal.message.MessageAccess.get().release(built);
        batch[0] = message;
        writer = new FrameWriter(new Sink());
        reader = new FrameReader(new Repeat(FrameWriter.encode(message)));
        target = new MessageStore(dev.tofu.internal.message.Owner.APPLICATION);
        FrameHeader.encode(header, 0, 0x1234, FrameHeader.proto(OpCode.REQUEST.code(), false, true), 0, 42, 25, size);
    }

    /** Encodes a 16-byte header into an array. */
    @Benchmark
    public byte[] encodeHeader() {
        FrameHeader.encode(header, 0, 0x1234, FrameHeader.proto(OpCode.REQUEST.code(), false, true), 0, 42, 25, size);
        return header;
    }

    /** Decodes a 16-byte header. */
    @Benchmark
    public long decodeHeader() {
        return decoded.decode(header, 0).messageId;
    }

    /** Writes one whole frame (gathering write of header, text headers and body) to a sink. */
    @Benchmark
    public int writeFrame() throws IOException {
        writer.write(batch, 1);
        return writer.completed();
    }

    /** Reads one whole frame from an in-memory stream into a reused message. */
    @Benchmark
    public int readFrame() throws IOException {
        reader.readFrame(decoded, target);
        return target.body().length();
    }

    /** Consumes everything. */
    static final class Sink implements GatheringByteChannel {
        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                n += srcs[i].remaining();
                srcs[i].position(srcs[i].limit());
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** The same frame over and over. */
    static final class Repeat implements ReadableByteChannel {
        private final byte[] frame;
        private int at;

        Repeat(byte[] frame) {
            this.frame = frame;
        }

        @Override
        public int read(ByteBuffer dst) {
            int n = 0;
            while (dst.hasRemaining()) {
                int k = Math.min(dst.remaining(), frame.length - at);
                dst.put(frame, at, k);
                at = (at + k) % frame.length;
                n += k;
            }
            return n;
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
