package io.reloc.cli;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The iSCSI flags shared by {@code serve} and {@code proxy}: where the target listens, its IQN
 * prefix and CHAP secrets, given on the command line or, better, in a file so that they do not
 * show in the process list.
 */
final class IscsiOptions {
    private static final List<String> SECRET_KEYS = List.of("chap-user", "chap-secret", "mutual-chap-user", "mutual-chap-secret");

    @Option(names = "--iscsi", paramLabel = "HOST:PORT",
            description = "Also serve every export as an iSCSI target (LUN 0) on this address, e.g. 127.0.0.1:3260.")
    String listen;

    @Option(names = "--iqn-prefix", paramLabel = "IQN",
            description = "Target names are IQN:EXPORT (default: iqn.2026-11.io.reloc) unless --export gives iqn=.")
    String iqnPrefix;

    @Option(names = "--chap-user", paramLabel = "NAME", description = "Require CHAP: the initiator's user name.")
    String chapUser;

    @Option(names = "--chap-secret", paramLabel = "SECRET",
            description = "The CHAP secret (12 to 16 characters recommended); prefer --chap-secrets FILE.")
    String chapSecret;

    @Option(names = "--chap-secrets", paramLabel = "FILE",
            description = "A file of key=value lines: chap-user, chap-secret, mutual-chap-user, mutual-chap-secret.")
    Path secretsFile;

    /** The iSCSI front end to start, if {@code --iscsi} was given. */
    Optional<FrontEndSpec> frontEnd(Path cwd) {
        return frontEnd(cwd, List.of());
    }

    /**
     * The iSCSI front end to start, if {@code --iscsi} was given, serving each of {@code exports}
     * that has {@code iqn=} under that name (front-end option {@code iqn.NAME}).
     *
     * @throws UsageException when an export has {@code iqn=} but there is no {@code --iscsi}
     */
    Optional<FrontEndSpec> frontEnd(Path cwd, List<ExportSpec> exports) {
        if (listen == null) {
            for (ExportSpec e : exports) {
                if (e.iqn().isPresent()) {
                    throw new UsageException("iqn= in --export " + e.name() + " needs --iscsi HOST:PORT");
                }
            }
            if (iqnPrefix != null || chapUser != null || chapSecret != null || secretsFile != null) {
                throw new UsageException("--iqn-prefix and the CHAP options need --iscsi HOST:PORT");
            }
            return Optional.empty();
        }
        Map<String, String> options = new LinkedHashMap<>();
        if (iqnPrefix != null) {
            options.put("iqn-prefix", iqnPrefix);
        }
        for (ExportSpec e : exports) {
            e.iqn().ifPresent(iqn -> options.put(ClientUris.EXPLICIT_IQN + e.name(), iqn));
        }
        if (secretsFile != null) {
            options.putAll(readSecrets(cwd.resolve(secretsFile)));
        }
        if (chapUser != null) {
            options.put("chap-user", chapUser);
        }
        if (chapSecret != null) {
            options.put("chap-secret", chapSecret);
        }
        if (options.containsKey("chap-user") != options.containsKey("chap-secret")) {
            throw new UsageException("CHAP needs both a user and a secret (--chap-user and --chap-secret, or both in --chap-secrets)");
        }
        return Optional.of(new FrontEndSpec("iscsi", ListenAddress.parse(listen), options));
    }

    static Map<String, String> readSecrets(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new CliException("cannot read the CHAP secrets file " + file + ": " + e.getMessage(), e);
        }
        warnIfOthersCanRead(file);
        Map<String, String> secrets = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            String key = eq < 0 ? line : line.substring(0, eq).strip();
            if (eq < 0 || !SECRET_KEYS.contains(key)) {
                throw new UsageException(file + " line " + (i + 1) + ": expected KEY=VALUE with KEY one of " + SECRET_KEYS);
            }
            secrets.put(key, line.substring(eq + 1).strip());
        }
        return secrets;
    }

    private static void warnIfOthersCanRead(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.OTHERS_READ) || permissions.contains(PosixFilePermission.GROUP_READ)) {
                org.slf4j.LoggerFactory.getLogger(IscsiOptions.class)
                        .warn("{} is readable by other users; chmod 600 it", file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // Not a POSIX filesystem: nothing to check.
        }
    }
}
