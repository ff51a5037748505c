package dev.tofu;

import dev.tofu.testing.RawFrames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The address helpers of PROTOCOL.md §4: formatting a Hello/WelcomeRequest and parsing the
 * {@code ~connect_to} / {@code ~listen_on} header strictly. No engine needed.
 */
@Timeout(10)
class AddressTest {

    private static void assertInvalid(Runnable parse, String why) {
        TofuException e = assertThrows(TofuException.class, parse::run, why);
        assertEquals(Status.INVALID_ADDRESS, e.status(), why);
    }

    private static void assertWrongAddress(Runnable format, String why) {
        TofuException e = assertThrows(TofuException.class, format::run, why);
        assertEquals(Status.WRONG_ADDRESS, e.status(), why);
    }

    /** A message whose text-header section is exactly {@code section}, built through the public API. */
    private static Message withHeaders(String... nameValue) {
        Message m = new Message();
        for (int i = 0; i < nameValue.length; i += 2) {
            m.headers().append(nameValue[i], nameValue[i + 1]);
        }
        return m;
    }

    @Test
    void defaultTcpClientFormatsToHelloRequestWithConnectToLocalhost7099() {
        Message m = new Message();
        Address.tcpClient().format(m);
        assertEquals(OpCode.HELLO_REQUEST, m.opCode(), "§4/§8: a client address makes a HelloRequest");
        assertEquals(List.of(new TextHeader("~connect_to", "tcp|127.0.0.1|7099")), m.headers().all(),
                "§4/§8: default TCP client = ~connect_to:tcp|127.0.0.1|7099");
        assertEquals(Address.tcpClient("127.0.0.1", 7099), Address.tcpClient(), "§4: defaults host 127.0.0.1, port 7099");
        Address back = Address.of(m);
        assertEquals(Address.TcpClient.class, back.getClass(), "§8: parses back to the same kind");
        assertEquals(Address.tcpClient(), back, "§8: parses back to the same address");
        assertEquals("~connect_to", back.headerName(), "§4: client addresses use ~connect_to");
    }

    @Test
    void tcpServerFormatsToWelcomeRequestWithListenOn() {
        Message m = new Message();
        Address.tcpServer("0.0.0.0", 0).format(m);
        assertEquals(OpCode.WELCOME_REQUEST, m.opCode(), "§4: a server address makes a WelcomeRequest");
        assertEquals("tcp|0.0.0.0|0", m.headers().get("~listen_on"), "§4: ~listen_on:tcp|host|port");
        assertEquals(Address.tcpServer("0.0.0.0", 0), Address.of(m), "§4: parses back to the same server address");
    }

    @Test
    void udsClientAndServerFormatToUdsValues() {
        Message c = new Message();
        Address.udsClient(Path.of("/tmp/tofu_42_0.port")).format(c);
        assertEquals(OpCode.HELLO_REQUEST, c.opCode(), "§4: UDS client -> HelloRequest");
        assertEquals("uds|/tmp/tofu_42_0.port", c.headers().get("~connect_to"), "§4: ~connect_to:uds|path");
        assertEquals(new Address.UdsClient("/tmp/tofu_42_0.port"), Address.of(c), "§4: parses back to a UDS client");

        Message s = new Message();
        Address.udsServer(Path.of("/tmp/tofu_42_0.port")).format(s);
        assertEquals(OpCode.WELCOME_REQUEST, s.opCode(), "§4: UDS server -> WelcomeRequest");
        assertEquals("uds|/tmp/tofu_42_0.port", s.headers().get("~listen_on"), "§4: ~listen_on:uds|path");
        assertEquals(new Address.UdsServer("/tmp/tofu_42_0.port"), Address.of(s), "§4: parses back to a UDS server");
    }

    @Test
    void formatResetsTheBinaryHeaderButKeepsTextHeadersAndBody() {
        Message m = new Message().opCode(OpCode.RESPONSE).channel(99).messageId(77).more(true)
                .status(Status.CHANNEL_CLOSED).origin(Origin.ENGINE);
        m.headers().append("x", "y");
        m.body().append("body".getBytes(StandardCharsets.US_ASCII));
        Address.tcpClient("example.org", 80).format(m);
        assertEquals(OpCode.HELLO_REQUEST, m.opCode(), "§4: opcode HelloRequest");
        assertEquals(0, m.channel(), "§4: format resets channel to 0");
        assertEquals(0, m.messageId(), "§4: format resets message_id to 0");
        assertEquals(false, m.more(), "§4: format clears the flags (more)");
        assertEquals(Status.SUCCESS, m.status(), "§4: format resets the whole binary header (status)");
        assertEquals(Origin.APPLICATION, m.origin(), "§4: format resets the whole binary header (origin)");
        assertEquals(List.of(new TextHeader("x", "y"), new TextHeader("~connect_to", "tcp|example.org|80")),
                m.headers().all(), "§4: the address header is appended; existing text headers are kept");
        assertArrayEquals("body".getBytes(StandardCharsets.US_ASCII), m.body().toByteArray(), "§4: the body is kept");
    }

    @Test
    void emptyTcpHostCannotBeFormatted() {
        assertWrongAddress(() -> Address.tcpClient("", 1).format(new Message()),
                "§4: an empty client host makes format fail with WrongAddress");
        assertWrongAddress(() -> Address.tcpServer("", 1).format(new Message()),
                "§4: an empty server host makes format fail with WrongAddress (use 0.0.0.0)");
    }

    @Test
    void udsPathsOverTheLimitAreRejectedByFormatAndParse() {
        String ok = "/" + "p".repeat(106);
        String tooLong = "/" + "p".repeat(107);
        assertEquals(107, ok.getBytes(StandardCharsets.UTF_8).length);
        Message m = new Message();
        Address.udsClient(Path.of(ok)).format(m);
        assertEquals(new Address.UdsClient(ok), Address.of(m), "§4: a 107-byte UDS path is accepted");
        assertWrongAddress(() -> Address.udsClient(Path.of(tooLong)).format(new Message()),
                "§4: Java MUST reject UDS paths longer than 107 bytes with WrongAddress (client)");
        assertWrongAddress(() -> Address.udsServer(Path.of(tooLong)).format(new Message()),
                "§4: Java MUST reject UDS paths longer than 107 bytes with WrongAddress (server)");
        assertInvalid(() -> Address.parse("uds|" + tooLong), "§4: parse of an over-long UDS path -> invalid_address");
        assertInvalid(() -> Address.parse("~listen_on:uds|" + tooLong), "§4: parse of an over-long UDS path -> invalid_address");
    }

    @Test
    void udsPathLimitCountsUtf8BytesNotCharacters() {
        String path = "/" + "é".repeat(54); // 55 characters, 109 bytes
        assertWrongAddress(() -> Address.udsClient(Path.of(path)).format(new Message()),
                "§4: the UDS limit is 107 bytes");
        assertInvalid(() -> Address.parse("uds|" + path), "§4: the UDS limit is 107 bytes");
    }

    @Test
    void parseOfTwoPartUdsValueGivesAUdsAddress() {
        assertEquals(new Address.UdsClient("p"), Address.parse("uds|p"), "§4/§8: uds|p -> UDS client");
        assertEquals(new Address.UdsClient(""), Address.parse("uds|"), "§4: the UDS path may be empty");
        assertEquals(new Address.UdsServer("/tmp/s"), Address.parse("~listen_on:uds|/tmp/s"), "§4: ~listen_on -> server");
        assertEquals(new Address.UdsClient("/tmp/s"), Address.parse("~connect_to:uds|/tmp/s"), "§4: ~connect_to -> client");
    }

    @Test
    void parseOfThreePartTcpValueGivesATcpAddress() {
        assertEquals(Address.tcpClient("h", 1), Address.parse("tcp|h|1"), "§4/§8: tcp|h|p -> TCP client");
        assertEquals(Address.tcpClient("127.0.0.1", 65535), Address.parse("tcp|127.0.0.1|65535"), "§4: port 65535");
        assertEquals(Address.tcpClient("h", 0), Address.parse("tcp|h|0"), "§4: port 0");
        assertEquals(Address.tcpClient("h", 7), Address.parse("tcp|h|00007"), "§4: 1-5 ASCII digits");
        assertEquals(Address.tcpClient("", 80), Address.parse("tcp||80"), "§4/§9.14: the host may be empty when parsing");
        assertEquals(Address.tcpClient("::1", 80), Address.parse("tcp|::1|80"), "§4: IPv6 literal host");
        assertEquals(Address.tcpServer("0.0.0.0", 7099), Address.parse("~listen_on:tcp|0.0.0.0|7099"), "§4: ~listen_on");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"tcp|h", "udp|h|1", "tcp|h|p|x", "tcp|h|+1", "tcp|h|123456", "tcp|h|65536", "tcp|h|",
            "x", "", "uds", "|", "tcp|h|-1", "tcp|h|1_0", "tcp|h| 1", "TCP|h|1", "UDS|p", "uds|a|1",
            "tcp|p", "tcp|h|0x10", "tcp|h|٣", "tcp|h|99999", "tcp|h|p", "uds|p|", "tcp|h|1|"})
    void malformedValuesAreInvalidAddresses(String value) {
        assertInvalid(() -> Address.parse(value), "§4: Java MUST require tcp|host|port (1-5 digits, 0..65535) or uds|path");
        assertInvalid(() -> Address.parse("~connect_to:" + value), "§4: same rules after ~connect_to:");
        assertInvalid(() -> Address.of(withHeaders("~connect_to", value.isEmpty() ? " " : value)),
                "§4: a malformed ~connect_to header -> invalid_address");
    }

    @Test
    void missingAddressHeaderIsAnInvalidAddress() {
        assertInvalid(() -> Address.of(new Message()), "§4: no header -> invalid_address");
        assertInvalid(() -> Address.of(withHeaders("Content-Type", "text/plain")), "§4: no matching header -> invalid_address");
    }

    @ParameterizedTest(name = "header \"{0}\"")
    @ValueSource(strings = {"connect_to", "~Connect_To", "~connect-to", "~connect_to_", "~listen", "~bound_to", "~listen_on2"})
    void wrongHeaderNameIsAnInvalidAddress(String name) {
        assertInvalid(() -> Address.of(withHeaders(name, "tcp|127.0.0.1|7099")),
                "§4: only a header named exactly ~connect_to or ~listen_on counts");
    }

    @Test
    void headerNameWithTrailingSpaceOnTheWireDoesNotCount() throws Exception {
        Message m = RawFrames.receivedWithTextSection("~connect_to :tcp|h|1\r\n");
        assertInvalid(() -> Address.of(m), "§1.5/§4: the name is not trimmed, so \"~connect_to \" is not ~connect_to");
    }

    @Test
    void firstAddressHeaderDecides() {
        assertEquals(Address.tcpServer("h", 2),
                Address.of(withHeaders("a", "b", "~listen_on", "tcp|h|2", "~connect_to", "tcp|h|1")),
                "§4: the first ~connect_to/~listen_on header decides (other headers are skipped)");
        assertInvalid(() -> Address.of(withHeaders("~connect_to", "bad", "~connect_to", "tcp|h|1")),
                "§4: a malformed first address header decides, later ones are not consulted");
    }

    @Test
    void headerAfterAnEmptyNameIsNotSeen() throws Exception {
        Message m = RawFrames.receivedWithTextSection("a:1\r\n:x\r\n~connect_to:tcp|h|1\r\n");
        assertInvalid(() -> Address.of(m), "§1.5 step 5: an empty name ends the scan before the address header");
    }

    @Test
    void addressHeaderValueIsTrimmedByTheParser() throws Exception {
        Message m = RawFrames.receivedWithTextSection("~connect_to: \ttcp|h|1 \r\n");
        assertEquals(Address.tcpClient("h", 1), Address.of(m), "§1.5 step 4: the value is trimmed of space and TAB");
    }

    @Test
    void aBareUdsValueEndingInSpaceOrTabIsInvalidBecauseNoHeaderCouldCarryIt() {
        assertInvalid(() -> Address.parse("uds|/tmp/p "), "§1.5/§4: a header line would trim the path's last space");
        assertInvalid(() -> Address.parse("uds|/tmp/p\t"), "§1.5/§4: a header line would trim the path's last TAB");
        assertEquals(Address.udsClient(Path.of("/tmp/p")), Address.parse("~connect_to:uds|/tmp/p \t"),
                "§1.5: in a header line the same text is trimmed and parses");
        assertEquals(Address.parse("uds|a b"), Address.parse("~connect_to:uds|a b"), "§4: an inner space is kept");
    }

    @Test
    void valueAndHeaderNameDescribeTheAddress() {
        assertEquals("tcp|h|5", Address.tcpServer("h", 5).value(), "§4: TCP value tcp|host|port");
        assertEquals("uds|/x", Address.udsServer(Path.of("/x")).value(), "§4: UDS value uds|path");
        assertEquals("~listen_on", Address.udsServer(Path.of("/x")).headerName(), "§4: servers use ~listen_on");
        assertEquals("~connect_to", Address.udsClient(Path.of("/x")).headerName(), "§4: clients use ~connect_to");
        assertEquals(true, Address.tcpServer("h", 5).isServer(), "§4: server kind");
        assertEquals(false, Address.tcpClient("h", 5).isServer(), "§4: client kind");
    }

    @Test
    void portOutsideTheRangeIsRejectedAtConstruction() {
        assertThrows(IllegalArgumentException.class, () -> Address.tcpClient("h", 65536), "§1: ports are uint16");
        assertThrows(IllegalArgumentException.class, () -> Address.tcpServer("h", -1), "§1: ports are uint16");
    }
}
