package dev.tofu.stress.soak;

/** The faults the soak run injects, with what each one's extra column counts. */
enum FaultKind {
    /** A pipelining client channel aborted with a ByeSignal (PROTOCOL.md §5.5.2). */
    CLIENT_BYE_SIGNAL("client ByeSignal mid-pipeline", ""),
    /** A client reactor closed abruptly while its channels pipeline (§6.9: silent close). */
    CLIENT_REACTOR_CLOSE("client reactor closed in flight", "channels"),
    /** The server closes a server channel with a ByeSignal while the client pipelines. */
    SERVER_BYE_SIGNAL("server ByeSignal mid-pipeline", ""),
    /** A raw socket sends random bytes to a listener and leaves. */
    RAW_GARBAGE("raw socket: garbage", "bytes"),
    /** A raw socket sends part of a 16-byte header and leaves. */
    RAW_HALF_HEADER("raw socket: half a header", "bytes"),
    /** A raw socket sends a frame with opcode 12: the server must close it (§1.8). */
    RAW_BAD_OPCODE("raw socket: bad opcode", "server closed"),
    /** A raw socket connects and leaves (FIN or, on TCP, sometimes RST). */
    RAW_CONNECT_LEAVE("raw socket: connect and leave", ""),
    /** Many tofu clients connect at once, exchange a message or three, close. */
    CONNECT_BURST("burst of connects", "connections");

    final String label;
    final String extra;

    FaultKind(String label, String extra) {
        this.label = label;
        this.extra = extra;
    }
}
