package dev.tofu.examples;

import dev.tofu.*;

import java.io.*;
import java.nio.file.*;
import java.util.Random;
import java.util.concurrent.*;
import java.util.zip.CRC32;

import static dev.tofu.examples.CorrelatingClient.next;

/**
 * Streaming with {@code more} (PROTOCOL.md §7 R20), raw API: the client uploads a file as Request
 * parts sharing one message id, the server stores it and answers one Response with its CRC32; then
 * the server streams the file back as Response parts carrying the id of the client's "get" Request.
 */
public final class FileTransfer {
    static final int CHUNK = 65_535;                                    // the largest body of one frame (§1.6)

    /** Serves one client on {@code listenOn} that uploads {@code src} and downloads it again; returns the server's CRC32. */
    public static long run(Ampe ampe, Address listenOn, Path src, Path uploaded, Path downloaded) throws Exception {
        try (var threads = Executors.newVirtualThreadPerTaskExecutor(); ChannelGroup server = ampe.create();
             ChannelGroup client = ampe.create()) {                     // closed in reverse order: groups first
            Message welcome = ampe.get(AllocationStrategy.ALWAYS);
            listenOn.format(welcome);                                   // WelcomeRequest + ~listen_on
            server.post(welcome);
            Message ready = next(server);                               // WelcomeResponse with ~bound_to
            Address at = Address.parse(ready.headers().get(Address.BOUND_TO));   // where the client connects
            at.format(ready.reset());                                   // reuse the message as the HelloRequest
            int ch = client.post(ready).channel();
            Future<Void> served = threads.submit(() -> serve(ampe, server, uploaded, src));
            next(client).close();                                       // HelloResponse
            send(ampe, client, ch, 0, OpCode.REQUEST, src);             // upload: client → server
            Message answer = next(client);                              // one Response for the whole upload
            long crc = Long.parseLong(answer.headers().get("crc32"));
            answer.reset().opCode(OpCode.REQUEST).channel(ch).headers().append("get", "file");
            client.post(answer);                                        // reused to ask for the download
            receive(client, next(client), downloaded).close();          // download: server → client
            client.post(ampe.get(AllocationStrategy.ALWAYS).opCode(OpCode.BYE_REQUEST).channel(ch));
            next(client).close();                                       // ByeResponse
            served.get();                                               // the server's failure, if any, surfaces here
            return crc;
        }
    }

    /** The server side, as plain blocking steps: accept, store the upload, answer, stream the download, bye. */
    static Void serve(Ampe ampe, ChannelGroup server, Path uploaded, Path file) throws IOException {
        server.post(next(server).opCode(OpCode.HELLO_RESPONSE));       // the client's HelloRequest, answered
        Message last = receive(server, next(server), uploaded);        // the whole upload, part by part
        last.opCode(OpCode.RESPONSE).body().clear();
        last.headers().append("crc32", Long.toString(crc32(uploaded)));
        server.post(last);                                              // one Response, with the upload's id
        try (Message get = next(server)) {
            send(ampe, server, get.channel(), get.messageId(), OpCode.RESPONSE, file);
        }
        server.post(next(server).opCode(OpCode.BYE_RESPONSE));         // the client's ByeRequest, answered
        return null;
    }

    /** Posts {@code file} as parts with one message id, {@code more} on all but the last; returns the id. */
    static long send(Ampe ampe, ChannelGroup group, int ch, long id, OpCode op, Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] chunk = in.readNBytes(CHUNK);
            while (true) {
                byte[] next = in.readNBytes(CHUNK);                     // read ahead: is this the last part?
                Message part = ampe.get(AllocationStrategy.ALWAYS);
                part.opCode(op).channel(ch).messageId(id).more(next.length > 0).body().append(chunk);
                id = group.post(part).messageId();                      // id 0: the engine assigns one, then kept
                if (next.length == 0) return id;
                chunk = next;
            }
        }
    }

    /** Writes {@code part} and the parts after it to {@code file}; returns the last one (without {@code more}). */
    static Message receive(ChannelGroup group, Message part, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(part.body().toByteArray());
                if (!part.more()) return part;                          // the last part: the caller answers or closes it
                part.close();
                part = next(group);
            }
        }
    }

    static long crc32(Path file) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(Files.readAllBytes(file));
        return crc.getValue();
    }

    /** {@code FileTransfer}: 1 MiB of random bytes up to a server on 127.0.0.1 and back. */
    public static void main(String[] args) throws Exception {
        byte[] data = new byte[1 << 20];
        new Random().nextBytes(data);
        Path src = Files.write(Files.createTempFile("tofu-src", ".bin"), data);
        Path up = Files.createTempFile("tofu-up", ".bin"), down = Files.createTempFile("tofu-down", ".bin");
        for (Path p : new Path[] {src, up, down}) p.toFile().deleteOnExit();
        try (Reactor reactor = Reactor.create()) {
            long crc = run(reactor.ampe(), Address.tcpServer("127.0.0.1", 0), src, up, down);
            System.out.printf("sent %08x, server stored %08x, downloaded %08x%n", crc32(src), crc, crc32(down));
        }
    }
}
