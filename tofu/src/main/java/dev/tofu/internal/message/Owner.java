package dev.tofu.internal.message;

/**
 * Who owns a message (API.md "Ownership rules"). Exactly one owner at any time; transitions are
 * compare-and-set on the message's owner field, so racing {@code post}/{@code put}/{@code close()}
 * leave it with exactly one party.
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
