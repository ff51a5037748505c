package dev.tofu.internal.engine;

/** Raw opcode values for the engine's hot paths (compared against raw header bytes). */
final class Opcodes {
    static final int REQUEST = 0;
    static final int RESPONSE = 1;
    static final int SIGNAL = 2;
    static final int HELLO_REQUEST = 3;
    static final int HELLO_RESPONSE = 4;
    static final int BYE_REQUEST = 5;
    static final int BYE_RESPONSE = 6;
    static final int BYE_SIGNAL = 7;
    static final int WELCOME_REQUEST = 8;
    static final int WELCOME_RESPONSE = 9;

    private Opcodes() {
    }
}
