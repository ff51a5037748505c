/**
 * The request/response layer behind {@link dev.tofu.Client} and {@link dev.tofu.Server}:
 * {@link dev.tofu.internal.rpc.ClientConnection} and {@link dev.tofu.internal.rpc.PendingCall}
 * (calls matched to responses by message id), {@link dev.tofu.internal.rpc.ServerCore} (dispatch,
 * bounded handler concurrency, graceful stop) and {@link dev.tofu.internal.rpc.Parts} (splitting and
 * joining bodies over 64 KiB with {@code more}).
 *
 * <p>Threads: a client's receiver virtual thread ({@code tofu-client-<n>-receiver}) is the only
 * reader of its group and completes the callers' pending calls; a server's dispatcher
 * ({@code tofu-server-dispatcher}) is the only reader of its group and starts one handler virtual
 * thread ({@code tofu-server-handler}) per request. Caller threads post and wait.
 *
 * <p>Built on the public API of {@code dev.tofu} only, exactly as an application would be; of the
 * internal packages it uses only {@code internal.concurrent.ClassPreload}, to load its classes
 * before its virtual threads need them.
 */
package dev.tofu.internal.rpc;
