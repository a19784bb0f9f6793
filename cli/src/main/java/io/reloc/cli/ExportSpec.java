package io.reloc.cli;

import io.reloc.iscsi.target.IscsiNames;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * One {@code --export} of {@code reloc serve}: {@code NAME=PATH[,readonly][,iqn=IQN][,description=TEXT]}.
 *
 * <p>{@code description=} must come last: everything after it, commas included, is the text.
 * A relative path is taken from the current directory and a leading {@code ~/} from $HOME.
 *
 * @param name export name clients ask for
 * @param path absolute, normalized path of the image file
 * @param readOnly refuse writes
 * @param description free text shown by listing clients; empty when not given
 * @param iqn the iSCSI name to serve the export under instead of {@code <iqn-prefix>:NAME}
 */
public record ExportSpec(String name, Path path, boolean readOnly, String description, Optional<String> iqn) {
    /** Export names that need no quoting in a shell or escaping in a URI. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final String SYNTAX = "NAME=PATH[,readonly][,iqn=IQN][,description=TEXT]";
    static final String NAME_RULE = "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";

    static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    public ExportSpec {
        requireNonNull(name, "name is null");
        requireNonNull(path, "path is null");
        requireNonNull(description, "description is null");
        requireNonNull(iqn, "iqn is null");
    }

    /** An export served under the default iSCSI name. */
    public ExportSpec(String name, Path path, boolean readOnly, String description) {
        this(name, path, readOnly, description, Optional.empty());
    }

    /**
     * Parses one {@code --export} value.
     *
     * @param home the user's home directory, for a leading {@code ~/}
     * @param cwd the directory relative paths are resolved against
     * @throws UsageException with a message that shows the expected syntax
     */
    public static ExportSpec parse(String value, Path home, Path cwd) {
        requireNonNull(value, "value is null");
        int eq = value.indexOf('=');
        if (eq < 0) {
            throw new UsageException("bad --export '" + value + "': expected " + SYNTAX);
        }
        String name = value.substring(0, eq);
        if (!isValidName(name)) {
            throw new UsageException("bad export name '" + name + "' in --export '" + value + "': " + NAME_RULE);
        }
        String rest = value.substring(eq + 1);
        int descAt = rest.indexOf(",description=");
        String description = "";
        if (descAt >= 0) {
            description = rest.substring(descAt + ",description=".length());
            rest = rest.substring(0, descAt);
        }
        String[] parts = rest.split(",", -1);
        String pathText = parts[0];
        if (pathText.isEmpty()) {
            throw new UsageException("bad --export '" + value + "': the path is empty; expected " + SYNTAX);
        }
        boolean readOnly = false;
        Optional<String> iqn = Optional.empty();
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            if (part.startsWith("iqn=")) {
                if (iqn.isPresent()) {
                    throw new UsageException("bad --export '" + value + "': iqn= is given twice");
                }
                iqn = Optional.of(iqn(part.substring("iqn=".length()), value));
                continue;
            }
            switch (part) {
                case "readonly", "ro" -> readOnly = true;
                case "" -> throw new UsageException("bad --export '" + value + "': empty option after ','; expected " + SYNTAX);
                default -> throw new UsageException("unknown export option '" + part + "' in --export '" + value
                        + "'; known options: readonly, iqn=IQN, description=TEXT");
            }
        }
        return new ExportSpec(name, resolve(pathText, home, cwd), readOnly, description, iqn);
    }

    private static String iqn(String text, String value) {
        try {
            return IscsiNames.check(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException("bad iqn= in --export '" + value + "': " + e.getMessage());
        }
    }

    private static Path resolve(String pathText, Path home, Path cwd) {
        Path path;
        if (pathText.equals("~")) {
            path = home;
        } else if (pathText.startsWith("~/")) {
            path = home.resolve(pathText.substring(2));
        } else {
            try {
                path = Path.of(pathText);
            } catch (java.nio.file.InvalidPathException e) {
                throw new UsageException("bad path '" + pathText + "': " + e.getReason());
            }
        }
        return cwd.resolve(path).normalize();
    }
}
