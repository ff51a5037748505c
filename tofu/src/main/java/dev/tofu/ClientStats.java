package dev.tofu;

/**
 * A snapshot of what a {@link Client} did since it was created (across reconnects), from
 * {@link Client#stats()}. Immutable.
 *
 * <p>Every call that is sent is counted in {@code callsStarted} and later in exactly one of
 * {@code callsSucceeded} or {@code callsFailed}; {@code inFlight} is the difference. Calls refused
 * before sending (the server is draining, the channel is closed, the caller was interrupted) are
 * counted in {@code callsRefused} only.
 *
 * @param callsStarted   calls whose request was sent
 * @param callsSucceeded calls that got their whole response
 * @param callsFailed    sent calls that failed (timeouts, interrupts, handler failures, channel losses)
 * @param callsTimedOut  of {@code callsFailed}, those that timed out
 * @param callsRefused   calls refused before their request was sent
 * @param inFlight       calls sent and not yet finished
 * @param lateResponses  responses that arrived after their call had given up (see {@link Client#lateResponses()})
 * @param latency        how long successful calls took, from send to the last part
 */
public record ClientStats(long callsStarted, long callsSucceeded, long callsFailed, long callsTimedOut,
                          long callsRefused, long inFlight, long lateResponses, LatencySnapshot latency) {
}
