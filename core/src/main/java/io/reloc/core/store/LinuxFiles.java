package io.reloc.core.store;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few Linux system calls the file store needs that the JDK does not offer on a raw file
 * descriptor: {@code open}, {@code pread}, {@code pwrite}, {@code fdatasync}, {@code fallocate},
 * {@code lseek} (with {@code SEEK_DATA}/{@code SEEK_HOLE}), {@code ftruncate}, {@code sync_file_range},
 * {@code posix_fadvise} and {@code close},
 * bound with the Foreign Function and Memory API. Every call captures {@code errno} and, when the
 * call fails, throws {@link ErrnoException}; {@code EINTR} is retried here so callers never see it.
 *
 * <p>The constants are those of Linux on x86_64 and aarch64 (the generic and x86 ABIs agree on
 * every value used here). Thread safe: the method handles are immutable.
 */
final class LinuxFiles {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_CLOEXEC = 02000000;

    static final int SEEK_END = 2;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    static final int SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    static final int SYNC_FILE_RANGE_WRITE = 2;
    static final int SYNC_FILE_RANGE_WAIT_AFTER = 4;
    static final int POSIX_FADV_DONTNEED = 4;

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;

    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int ENXIO = 6;
    static final int EACCES = 13;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EFBIG = 27;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;
    static final int EDQUOT = 122;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // open(const char *path, int flags, ...): the mode is the first variadic argument.
    private static final MethodHandle OPEN = bind("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle PREAD = bind("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = bind("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FDATASYNC = bind("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FALLOCATE = bind("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SYNC_FILE_RANGE = bind("sync_file_range",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    // posix_fadvise returns its error number instead of setting errno.
    private static final MethodHandle FADVISE = LINKER.downcallHandle(LIBC.find("posix_fadvise").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle LSEEK = bind("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FTRUNCATE = bind("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LIBC.find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private LinuxFiles() {}

    /** A failed system call; {@link #errno()} says why. The message is {@code strerror(errno)}. */
    static final class ErrnoException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        ErrnoException(String call, int errno) {
            super(strerror(errno) + " (" + call + ", errno " + errno + ")");
            this.errno = errno;
        }

        int errno() {
            return errno;
        }

        /** The bare system message, e.g. "No space left on device". */
        String reason() {
            return strerror(errno);
        }
    }

    static int open(String path, int flags, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path);
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            while (true) {
                int fd = (int) OPEN.invokeExact(state, cPath, flags, mode);
                if (fd >= 0) {
                    return fd;
                }
                int errno = errno(state);
                if (errno != EINTR) {
                    throw new ErrnoException("open", errno);
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    /** Closes {@code fd}; never retried on EINTR, as Linux has released the descriptor anyway. */
    static void close(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            int result = (int) CLOSE.invokeExact(state, fd);
            if (result < 0 && errno(state) != EINTR) {
                throw new ErrnoException("close", errno(state));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    /** One {@code pread}: the number of bytes read into {@code buffer}, 0 at end of file. */
    static long pread(int fd, MemorySegment buffer, long offset) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            while (true) {
                long n = (long) PREAD.invokeExact(state, fd, buffer, buffer.byteSize(), offset);
                if (n >= 0) {
                    return n;
                }
                int errno = errno(state);
                if (errno != EINTR) {
                    throw new ErrnoException("pread", errno);
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    /** One {@code pwrite}: the number of bytes written from {@code buffer}. */
    static long pwrite(int fd, MemorySegment buffer, long offset) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            while (true) {
                long n = (long) PWRITE.invokeExact(state, fd, buffer, buffer.byteSize(), offset);
                if (n >= 0) {
                    return n;
                }
                int errno = errno(state);
                if (errno != EINTR) {
                    throw new ErrnoException("pwrite", errno);
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    static void fdatasync(int fd) throws ErrnoException {
        intCall("fdatasync", FDATASYNC, fd, 0, 0, 0, 1);
    }

    /**
     * {@code sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE)}: starts writeback of the
     * range's dirty pages and returns without waiting for it. Makes nothing durable by itself.
     */
    static void startWriteback(int fd, long offset, long length) throws ErrnoException {
        retrying("sync_file_range", state -> (int) SYNC_FILE_RANGE.invokeExact(state, fd, offset, length, SYNC_FILE_RANGE_WRITE));
    }

    /**
     * Writes the range's dirty pages, waits until none is under writeback (all three
     * {@code sync_file_range} flags), then asks the kernel to drop its clean pages from the page
     * cache ({@code POSIX_FADV_DONTNEED}). Makes nothing durable: the disk's own cache and the
     * file's metadata still need {@code fdatasync}.
     */
    static void writeAndDrop(int fd, long offset, long length) throws ErrnoException {
        int flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
        retrying("sync_file_range", state -> (int) SYNC_FILE_RANGE.invokeExact(state, fd, offset, length, flags));
        int error;
        try {
            error = (int) FADVISE.invokeExact(fd, offset, length, POSIX_FADV_DONTNEED);
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
        if (error != 0) {
            throw new ErrnoException("posix_fadvise", error);
        }
    }

    static void fallocate(int fd, int mode, long offset, long length) throws ErrnoException {
        intCall("fallocate", FALLOCATE, fd, mode, offset, length, 4);
    }

    static void ftruncate(int fd, long length) throws ErrnoException {
        intCall("ftruncate", FTRUNCATE, fd, 0, length, 0, 2);
    }

    /** {@code lseek}: the resulting offset. */
    static long lseek(int fd, long offset, int whence) throws ErrnoException {
        return retrying("lseek", state -> (long) LSEEK.invokeExact(state, fd, offset, whence));
    }

    /** A downcall that takes the errno capture first and returns a negative value on failure. */
    @FunctionalInterface
    private interface Downcall {
        long invoke(MemorySegment errnoState) throws Throwable;
    }

    /** Runs {@code call}, again after EINTR; its result, or its errno as an exception. */
    private static long retrying(String name, Downcall call) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            while (true) {
                long result = call.invoke(state);
                if (result >= 0) {
                    return result;
                }
                int errno = errno(state);
                if (errno != EINTR) {
                    throw new ErrnoException(name, errno);
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    static String strerror(int errno) {
        try {
            MemorySegment message = (MemorySegment) STRERROR.invokeExact(errno);
            return message.reinterpret(Integer.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** Calls an int-returning function of up to four arguments (the arity selects which are passed). */
    private static void intCall(String name, MethodHandle handle, int fd, int i, long a, long b, int arity)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            while (true) {
                int result = switch (arity) {
                    case 1 -> (int) handle.invokeExact(state, fd);
                    case 2 -> (int) handle.invokeExact(state, fd, a);
                    case 4 -> (int) handle.invokeExact(state, fd, i, a, b);
                    default -> throw new IllegalArgumentException("arity " + arity);
                };
                if (result >= 0) {
                    return;
                }
                int errno = errno(state);
                if (errno != EINTR) {
                    throw new ErrnoException(name, errno);
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name + "(): Reloc's file store needs Linux"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    private static IllegalStateException linkageFailure(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed unexpectedly", t);
    }
}
