package dev.tofu;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the address helpers (PROTOCOL.md §4): every valid address survives format and
 * parse, and parsing any text either succeeds or fails with {@code invalid_address}, nothing else.
 */
class AddressPropertiesTest {
    private static final String HOST_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]";
    private static final String PATH_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-~@+=,";

    @Provide
    Arbitrary<Address> validAddresses() {
        Arbitrary<String> hosts = Arbitraries.strings().withChars(HOST_CHARS.toCharArray()).ofMinLength(1).ofMaxLength(40);
        Arbitrary<Integer> ports = Arbitraries.integers().between(0, 0xFFFF).edgeCases(c -> c.includeOnly(0, 7099, 65535));
        Arbitrary<String> asciiPaths = Arbitraries.strings().withChars(PATH_CHARS.toCharArray())
                .ofMaxLength(Address.UDS_PATH_MAX_BYTES);
        Arbitrary<String> utf8Paths = Arbitraries.strings().withChars((PATH_CHARS + "éß日").toCharArray()).ofMaxLength(60)
                .filter(p -> p.getBytes(StandardCharsets.UTF_8).length <= Address.UDS_PATH_MAX_BYTES);
        Arbitrary<String> paths = Arbitraries.oneOf(asciiPaths, utf8Paths);
        return Arbitraries.oneOf(
                Combinators.combine(hosts, ports).as(Address::tcpClient),
                Combinators.combine(hosts, ports).as(Address::tcpServer),
                paths.map(Address.UdsClient::new),
                paths.map(Address.UdsServer::new));
    }

    @Property(tries = 300)
    void headerLineParsesBackToTheSameAddress(@ForAll("validAddresses") Address a) {
        assertEquals(a, Address.parse(a.headerName() + ":" + a.value()),
                "§4: parse(header:value) round-trips (~connect_to -> client, ~listen_on -> server)");
    }

    @Property(tries = 300)
    void bareValueParsesBackToTheClientOfTheSameKind(@ForAll("validAddresses") Address a) {
        Address parsed = Address.parse(a.value());
        assertEquals(a.value(), parsed.value(), "§4: parse(value()).value() == value()");
        assertTrue(!parsed.isServer(), "Address.parse: a bare value gives a client address");
        assertEquals(a instanceof Address.UdsClient || a instanceof Address.UdsServer,
                parsed instanceof Address.UdsClient, "§4: same transport (uds|path vs tcp|host|port)");
    }

    @Property(tries = 300)
    void formattedMessageParsesBackToTheSameAddress(@ForAll("validAddresses") Address a) {
        Message m = new Message().opCode(OpCode.SIGNAL).channel(5).messageId(9).more(true);
        m.headers().append("before", "kept");
        a.format(m);
        assertEquals(a.isServer() ? OpCode.WELCOME_REQUEST : OpCode.HELLO_REQUEST, m.opCode(),
                "§4: client -> HelloRequest, server -> WelcomeRequest");
        assertEquals(0, m.channel(), "§4: channel reset to 0");
        assertEquals(0, m.messageId(), "§4: message_id reset to 0");
        assertEquals("kept", m.headers().get("before"), "§4: existing headers are kept");
        assertEquals(a.value(), m.headers().get(a.headerName()), "§4: the address header is appended");
        assertEquals(a, Address.of(m), "§4/§8: Address.of(formatted message) round-trips");
    }

    @Property(tries = 100)
    void overLongUdsPathsAreRejectedByFormatAndParse(@ForAll("overLongPaths") String path) {
        TofuException f = assertThrows(TofuException.class, () -> new Address.UdsClient(path).format(new Message()),
                "§4: UDS path over 107 bytes -> WrongAddress at format");
        assertEquals(Status.WRONG_ADDRESS, f.status(), "§4: WrongAddress");
        TofuException p = assertThrows(TofuException.class, () -> Address.parse("~listen_on:uds|" + path),
                "§4: UDS path over 107 bytes -> invalid at parse");
        assertEquals(Status.INVALID_ADDRESS, p.status(), "§4: invalid_address");
    }

    @Provide
    Arbitrary<String> overLongPaths() {
        return Arbitraries.strings().withChars((PATH_CHARS + "é").toCharArray()).ofMinLength(54).ofMaxLength(300)
                .filter(p -> p.getBytes(StandardCharsets.UTF_8).length > Address.UDS_PATH_MAX_BYTES);
    }

    @Provide
    Arbitrary<String> addressLikeText() {
        Arbitrary<String> tokens = Arbitraries.of("tcp", "uds", "udp", "TCP", "|", "|", "|", "h", "127.0.0.1", "", "0",
                "1", "7099", "65535", "65536", "123456", "+1", "-1", "1_0", " ", "\t", ":", "~connect_to:",
                "~listen_on:", "~bound_to:", "/tmp/x", "é", "\u0663", "0x1F", "00000", "\uD800");
        Arbitrary<String> joined = tokens.list().ofMaxSize(8).map(l -> String.join("", l));
        Arbitrary<String> protocols = Arbitraries.frequency(Tuple.of(6, "tcp"), Tuple.of(3, "uds"), Tuple.of(1, "udp"),
                Tuple.of(1, ""), Tuple.of(1, "tcp "), Tuple.of(1, "Tcp"));
        Arbitrary<String> hosts = Arbitraries.of("h", "", "127.0.0.1", "::1", " h", "/tmp/p");
        Arbitrary<String> ports = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 200_000).withDistribution(RandomDistribution.uniform()).map(String::valueOf),
                Arbitraries.of("", "+1", "-1", "1_0", "0x1", " 1", "1 ", "000000", "00000", "65535", "65536", "99999",
                        "100000", "\u0663"));
        Arbitrary<String> structured = Combinators.combine(protocols, hosts, ports, Arbitraries.integers().between(1, 4))
                .as((proto, host, port, parts) -> switch (parts) {
                    case 1 -> proto;
                    case 2 -> proto + "|" + host;
                    case 3 -> proto + "|" + host + "|" + port;
                    default -> proto + "|" + host + "|" + port + "|" + host;
                });
        Arbitrary<String> prefixed = Combinators.combine(Arbitraries.of("", "~connect_to:", "~listen_on:"), structured)
                .as(String::concat);
        return Arbitraries.oneOf(prefixed, prefixed, prefixed, joined, Arbitraries.strings().ofMaxLength(60),
                Arbitraries.strings().withChars("tcpuds|0123456789:~".toCharArray()).ofMaxLength(20));
    }

    @Property(tries = 1000)
    void anyTextEitherParsesOrIsAnInvalidAddress(@ForAll("addressLikeText") String text) {
        Address parsed;
        try {
            parsed = Address.parse(text);
        } catch (TofuException e) {
            assertEquals(Status.INVALID_ADDRESS, e.status(), "§4: a malformed address is invalid_address: '" + text + "'");
            return;
        } catch (RuntimeException e) {
            throw new AssertionError("§4: parse may only fail with TofuException(INVALID_ADDRESS), got " + e, e);
        }
        assertEquals(parsed, Address.parse(parsed.headerName() + ":" + parsed.value()),
                "§4: a parsed address re-parses from its canonical form: '" + text + "'");
        if (parsed instanceof Address.TcpClient t) {
            assertTrue(t.port() >= 0 && t.port() <= 0xFFFF, "§4: port in 0..65535");
            assertTrue(text.matches("(~connect_to:[ \\t]*tcp\\|[^|]*\\|[0-9]{1,5}[ \\t]*|tcp\\|[^|]*\\|[0-9]{1,5})"), "§4: only tcp|host|1-5 digits parses as TCP (a header line's value is trimmed, §1.5): " + text);
        }
        if (parsed instanceof Address.TcpServer t) {
            assertTrue(t.port() >= 0 && t.port() <= 0xFFFF, "§4: port in 0..65535");
        }
    }
}
