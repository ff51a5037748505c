package dev.tofu;

/** Who produced a message: the application (a peer's or this one) or the engine itself. */
public enum Origin {
    /** Posted by an application; every frame received from the wire has this origin. */
    APPLICATION,
    /** Produced by the engine: notices, returned messages, failed Hello/WelcomeResponses. */
    ENGINE
}
