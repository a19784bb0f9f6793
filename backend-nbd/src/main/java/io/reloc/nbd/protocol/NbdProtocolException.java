package io.reloc.nbd.protocol;

import java.io.IOException;

/**
 * The peer sent bytes that break the NBD protocol (a bad magic number, a length that does not fit,
 * a malformed string). The message names the offending value, in hex for magics. After this the
 * byte stream cannot be trusted, so the connection is usually dropped.
 */
public class NbdProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public NbdProtocolException(String message) {
        super(message);
    }

    static NbdProtocolException badMagic(String what, long expected, long actual, int hexDigits) {
        String format = "%0" + hexDigits + "x";
        return new NbdProtocolException("bad " + what + " magic 0x" + String.format(format, actual)
                + " (expected 0x" + String.format(format, expected) + "); is the peer speaking NBD?");
    }
}
