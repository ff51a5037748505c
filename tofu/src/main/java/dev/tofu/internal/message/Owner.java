package dev.tofu.internal.message;

/**
 * Who holds a message's storage ({@link MessageStore}; API.md "Ownership rules"). Exactly one owner
 * at any time; transitions are compare-and-set on the store's owner field. The application's side
 * of a hand-over is decided earlier, by ending the lease of its {@code Message} handle (an atomic
 * swap), so racing {@code post}/{@code put}/{@code close()} on one reference leave the storage with
 * exactly one party.
 */
public final class Owner {
    /** The application may read and change it. */
    public static final int APPLICATION = 0;
    /** The engine holds it (posted, queued, in flight, or being delivered). */
    public static final int ENGINE = 1;
    /** It sits idle in a pool (or was dropped by a full or closed pool). */
    public static final int POOL = 2;

    private Owner() {
    }

    /** Returns a readable name for an owner value. */
    public static String name(int owner) {
        return switch (owner) {
            case APPLICATION -> "application";
            case ENGINE -> "engine";
            case POOL -> "pool";
            default -> "owner#" + owner;
        };
    }
}
