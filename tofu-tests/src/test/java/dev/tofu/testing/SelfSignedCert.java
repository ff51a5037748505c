package dev.tofu.testing;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed key pair made for a test by the JDK's own {@code keytool} (run from
 * {@code java.home}), in a PKCS12 file under a directory the test owns, and the {@link SSLContext}s
 * built from it. Nothing is read from or written to the user's keystores.
 */
public final class SelfSignedCert {
    private static final char[] PASSWORD = "tofu-test".toCharArray();
    private static final String ALIAS = "tofu";

    private final KeyStore keys;
    private final Certificate certificate;

    private SelfSignedCert(KeyStore keys) throws GeneralSecurityException {
        this.keys = keys;
        this.certificate = keys.getCertificate(ALIAS);
    }

    /**
     * Generates an EC P-256 key pair with a self-signed certificate for {@code CN=<cn>} whose subject
     * alternative names are {@code san} (keytool syntax, for example
     * {@code "dns:localhost,ip:127.0.0.1"}), valid for two days.
     *
     * @param dir a directory the test owns (for example a JUnit {@code @TempDir})
     * @param cn  the common name, also the file name
     * @param san the subject alternative names
     * @return the key pair
     */
    public static SelfSignedCert generate(Path dir, String cn, String san) throws IOException, GeneralSecurityException {
        Path file = dir.resolve(cn + ".p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = List.of(keytool.toString(), "-genkeypair", "-alias", ALIAS,
                "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=" + cn, "-ext", "SAN=" + san,
                "-storetype", "PKCS12", "-keystore", file.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD), "-noprompt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("keytool failed (" + p.exitValue() + "): " + output);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, PASSWORD);
        }
        return new SelfSignedCert(ks);
    }

    /** The certificate (public part). */
    public Certificate certificate() {
        return certificate;
    }

    /**
     * A context that presents this key pair and trusts only the given certificates: for a reactor
     * that serves (and, trusting this certificate, also connects to itself).
     */
    public SSLContext context(SelfSignedCert... trusted) throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kmf.getKeyManagers(), trustManagers(trusted).getTrustManagers(), null);
        return c;
    }

    /** A context with this key pair that trusts this certificate only. */
    public SSLContext context() throws GeneralSecurityException {
        return context(this);
    }

    /** A client context with no key pair that trusts only the given certificates. */
    public static SSLContext trusting(SelfSignedCert... trusted) throws GeneralSecurityException {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, trustManagers(trusted).getTrustManagers(), null);
        return c;
    }

    private static TrustManagerFactory trustManagers(SelfSignedCert... trusted) throws GeneralSecurityException {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        try {
            ts.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        for (int i = 0; i < trusted.length; i++) {
            ts.setCertificateEntry("trusted-" + i, trusted[i].certificate);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return tmf;
    }
}
