package io.reloc.iscsi.target;

import static java.util.Objects.requireNonNull;

/**
 * A CHAP user name and secret.
 *
 * @param user the CHAP_N name
 * @param secret the shared secret; RFC 7143 §12.1.3 asks for at least 12 bytes but short ones work
 */
public record ChapCredentials(String user, String secret) {
    public ChapCredentials {
        requireNonNull(user, "user is null");
        requireNonNull(secret, "secret is null");
        if (user.isEmpty() || secret.isEmpty()) {
            throw new IllegalArgumentException("CHAP user and secret must not be empty");
        }
    }

    @Override
    public String toString() {
        return "ChapCredentials[user=" + user + ", secret=***]";
    }
}
