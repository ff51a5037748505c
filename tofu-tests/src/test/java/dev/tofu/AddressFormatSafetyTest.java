package dev.tofu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** format() refuses what could not be parsed back from the header it writes (PROTOCOL.md §4, §1.5). */
class AddressFormatSafetyTest {
    @ParameterizedTest
    @ValueSource(strings = {"a|b", "a\rb", "a\nb"})
    void tcpHostsThatBreakTheHeaderAreWrongAddresses(String host) {
        TofuException e = assertThrows(TofuException.class, () -> Address.tcpClient(host, 1).format(new Message()));
        assertEquals(Status.WRONG_ADDRESS, e.status(), "§4: a host must survive tcp|host|port");
        e = assertThrows(TofuException.class, () -> Address.tcpServer(host, 1).format(new Message()));
        assertEquals(Status.WRONG_ADDRESS, e.status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/tmp/a|b", " /tmp/x", "/tmp/x ", "/tmp/\tx\t"})
    void udsPathsThatBreakTheHeaderAreWrongAddresses(String path) {
        TofuException e = assertThrows(TofuException.class, () -> Address.udsClient(Path.of(path)).format(new Message()));
        assertEquals(Status.WRONG_ADDRESS, e.status(), "§1.5: values are trimmed, '|' splits parts");
    }

    @ParameterizedTest
    @ValueSource(strings = {"~connect_to: tcp|h|1", "~connect_to:\ttcp|h|1 "})
    void parseTrimsAHeaderLineValueLikeTheHeaderParser(String line) {
        assertEquals(Address.tcpClient("h", 1), Address.parse(line), "§1.5: values are trimmed of space and TAB");
    }
}
