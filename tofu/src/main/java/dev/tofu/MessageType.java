package dev.tofu;

/** The family an opcode belongs to (PROTOCOL.md §2.1). */
public enum MessageType {
    /** Request, Response, Signal: application data. */
    REGULAR,
    /** HelloRequest, HelloResponse: opening a client channel. */
    HELLO,
    /** ByeRequest, ByeResponse, ByeSignal: closing a channel. */
    BYE,
    /** WelcomeRequest, WelcomeResponse: starting a listener. */
    WELCOME
}
