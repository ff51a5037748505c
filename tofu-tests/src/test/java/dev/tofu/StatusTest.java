package dev.tofu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** {@link Status}: the one-byte status codes of PROTOCOL.md §3. */
class StatusTest {

    /** The table of PROTOCOL.md §3, names exactly as the spec writes them. */
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
            "0, success",
            "1, not_implemented_yet",
            "2, wrong_address",
            "3, not_allowed",
            "4, null_message",
            "5, invalid_message",
            "6, invalid_op_code",
            "7, invalid_headers_len",
            "8, invalid_body_len",
            "9, invalid_more_usage",
            "10, invalid_channel_number",
            "11, invelid_mchn_group",
            "12, invalid_message_id",
            "13, invalid_address",
            "14, uds_path_not_found",
            "15, notification_disabled",
            "16, notification_failed",
            "17, peer_disconnected",
            "18, communication_failed",
            "19, pool_empty",
            "20, allocation_failed",
            "21, receiver_update",
            "22, channel_closed",
            "23, shutdown_started",
            "24, connect_failed",
            "25, listen_failed",
            "26, accept_failed",
            "27, send_failed",
            "28, recv_failed",
            "29, setsockopt_failed",
            "30, processing_failed",
            "31, unknown_error",
    })
    void everyStatusOfTheSpecHasItsNumberAndUpperSnakeCaseName(int code, String specName) {
        // API.md: named as in §3 in UPPER_SNAKE_CASE, except code 11 (tofu's "invelid_mchn_group").
        String javaName = code == 11 ? "INVALID_CHANNEL_GROUP" : specName.toUpperCase(Locale.ROOT);
        Status status = Status.valueOf(javaName);
        assertEquals(code, status.code(), "PROTOCOL.md §3: " + specName + " has code " + code);
        assertSame(status, Status.of(code), "PROTOCOL.md §3: raw " + code + " maps to " + javaName);
    }

    @Test
    void thereAreExactlyThirtyTwoStatuses() {
        assertEquals(32, Status.values().length, "PROTOCOL.md §3 lists codes 0..31");
    }

    @Test
    void codeElevenIsInvalidChannelGroup() {
        assertSame(Status.INVALID_CHANNEL_GROUP, Status.of(11),
                "API.md: code 11 (invelid_mchn_group in tofu) is INVALID_CHANNEL_GROUP");
    }

    @Test
    void everyRawByteFrom31To255MapsToUnknownError() {
        for (int raw = 31; raw <= 255; raw++) {
            assertSame(Status.UNKNOWN_ERROR, Status.of(raw), "PROTOCOL.md §3: raw values >= 31 map to unknown_error (" + raw + ")");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, -2, -31, -128, Integer.MIN_VALUE})
    void negativeRawValuesMapToUnknownError(int raw) {
        assertSame(Status.UNKNOWN_ERROR, Status.of(raw), "API.md: Status.of maps an unknown value to UNKNOWN_ERROR");
    }

    @Test
    void tofuExceptionCarriesItsStatus() {
        TofuException e = new TofuException(Status.POOL_EMPTY, "detail");
        assertSame(Status.POOL_EMPTY, e.status(), "API.md: TofuException carries Status status()");
    }
}
