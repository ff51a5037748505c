package dev.tofu.release;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The published artifact works for a user: a separate Maven project, created under
 * {@code target/}, depends on the installed {@code dev.tofu:tofu}, uses only the public API as a
 * named module on the module path, and runs an echo round trip. A second project proves the
 * internals are not exported. Needs the reactor built with {@code install} (the README's test
 * command), which installs the library before these tests run.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsumerProjectTest {
    private static final Path TARGET = Path.of("target");

    @Test
    void aConsumerModuleRunsAnEchoRoundTripOnTheModulePath() throws Exception {
        Path project = writeProject("consumer", "Main.java.txt");
        Result build = maven(project, "package");
        assertEquals(0, build.exit, "the consumer project builds against the installed artifact:\n" + build.output);

        List<String> run = List.of(javaBin(), "--module-path",
                project.resolve("target/classes") + java.io.File.pathSeparator + project.resolve("target/lib"),
                "-m", "consumer/consumer.Main");
        Result r = exec(run, project);
        assertEquals(0, r.exit, "the consumer runs:\n" + r.output);
        assertTrue(r.output.contains("round trip ok: ping"), "echo round trip through the published API:\n" + r.output);
    }

    @Test
    void theInternalPackagesAreNotExported() throws Exception {
        Path project = writeProject("consumer-illegal", "Illegal.java.txt");
        Result build = maven(project, "compile");
        assertNotEquals(0, build.exit, "code using dev.tofu.internal must not compile");
        assertTrue(build.output.contains("dev.tofu.internal") && build.output.contains("not"),
                "the compiler names the unexported package:\n" + build.output);
    }

    private static Path writeProject(String name, String mainSource) throws IOException {
        String version = System.getProperty("tofu.version");
        String repo = System.getProperty("maven.repo.local");
        Assumptions.assumeTrue(version != null && repo != null && System.getProperty("maven.home") != null,
                "run through Maven (tofu.version, maven.repo.local and maven.home are set by the build)");
        Path built = Path.of("..", "tofu", "target", "tofu-" + version + ".jar");
        Path installed = Path.of(repo, "dev", "tofu", "tofu", version, "tofu-" + version + ".jar");
        Assumptions.assumeTrue(Files.exists(installed) && Files.exists(built)
                        && Files.mismatch(built, installed) == -1,
                "the installed artifact is not this build's (run the README's test command, which installs)");
        Path project = TARGET.resolve(name).toAbsolutePath();
        Path src = project.resolve("src/main/java");
        Files.createDirectories(src.resolve("consumer"));
        Files.writeString(project.resolve("pom.xml"), resource("pom.xml.txt").replace("@TOFU_VERSION@", version));
        Files.writeString(src.resolve("module-info.java"), resource("module-info.java.txt"));
        Files.writeString(src.resolve("consumer").resolve(mainSource.replace(".txt", "")), resource(mainSource));
        return project;
    }

    private static Result maven(Path project, String goal) throws Exception {
        String mvn = Path.of(System.getProperty("maven.home"), "bin", "mvn").toString();
        return exec(List.of(mvn, "-B", "-q", "-ntp", "-f", project.resolve("pom.xml").toString(), goal), project);
    }

    private static Result exec(List<String> command, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(4, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ConsumerProjectTest.class.getResourceAsStream("/consumer/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource /consumer/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private record Result(int exit, String output) {
    }
}
