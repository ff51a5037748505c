package dev.tofu;

/**
 * A snapshot of what a {@link Server} did since it started, from {@link Server#stats()}. Immutable.
 *
 * <p>Every request that reaches a handler is counted in {@code requestsStarted} and later in exactly
 * one of {@code requestsSucceeded} (its response was posted) or {@code requestsFailed} (the handler
 * threw, or its response could not be sent).
 *
 * @param requestsStarted   requests handed to a handler
 * @param requestsSucceeded requests answered normally
 * @param requestsFailed    requests whose handler threw or whose response could not be sent
 * @param inFlight          requests running or waiting in a backlog right now
 * @param responsesDropped  responses not delivered because their channel had closed
 * @param connectedClients  client channels connected right now
 * @param latency           how long handled requests took, from the handler's start to the
 *                          response's post
 */
public record ServerStats(long requestsStarted, long requestsSucceeded, long requestsFailed, long inFlight,
                          long responsesDropped, int connectedClients, LatencySnapshot latency) {
}
