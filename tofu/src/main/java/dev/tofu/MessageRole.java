package dev.tofu;

/** The role an opcode plays (PROTOCOL.md §2.1). */
public enum MessageRole {
    /** Request, HelloRequest, ByeRequest, WelcomeRequest: expects a matching response. */
    REQUEST,
    /** Response, HelloResponse, ByeResponse, WelcomeResponse: answers a request; needs a message id. */
    RESPONSE,
    /** Signal, ByeSignal: one-way. */
    SIGNAL
}
