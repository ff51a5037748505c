package dev.tofu;

/** How {@link Ampe#get(AllocationStrategy)} behaves when the pool is empty. */
public enum AllocationStrategy {
    /** Return {@code null} when the pool holds no idle message. */
    POOL_ONLY,
    /** Create a new message when the pool is empty; never {@code null}. */
    ALWAYS
}
