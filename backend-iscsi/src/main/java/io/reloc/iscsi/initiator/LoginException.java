package io.reloc.iscsi.initiator;

import java.io.IOException;

/** The target refused the login; {@link #status()} is its status class and detail (0xCCDD). */
final class LoginException extends IOException {
    private static final long serialVersionUID = 1L;
    static final int AUTHENTICATION_FAILURE = 0x0201;
    static final int AUTHORIZATION_FAILURE = 0x0202;
    static final int NOT_FOUND = 0x0203;

    private final int status;

    LoginException(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }

    /** What a status means to a user, per RFC 7143 §11.13.5. */
    static String describe(int status) {
        return switch (status) {
            case 0x0101, 0x0102 -> "the target moved (redirection is not supported; connect to its new address)";
            case 0x0200 -> "initiator error";
            case AUTHENTICATION_FAILURE -> "authentication failure: check the CHAP user and secret";
            case AUTHORIZATION_FAILURE -> "authorization failure: the target does not allow this initiator";
            case NOT_FOUND -> "target not found";
            case 0x0204 -> "target removed";
            case 0x0205 -> "unsupported iSCSI version";
            case 0x0207 -> "missing parameter";
            case 0x0209 -> "session type not supported";
            case 0x0300 -> "target error";
            case 0x0301 -> "service unavailable: try again later";
            case 0x0302 -> "out of resources";
            default -> "status 0x" + String.format("%04x", status);
        };
    }
}
