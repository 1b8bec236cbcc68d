// Package vfs is Ward's virtual filesystem: the layer between the system
// call handlers and the filesystem implementations under fs/.
//
// # Model
//
// A Filesystem (fs/tmpfs, fs/hostfs, fs/overlay, fs/dev, ...) is a tree of
// Inodes. An Inode answers for one file: its attributes, and for a
// directory the namespace operations on its children (Lookup, Create,
// Unlink, Rename, ...). Opening an Inode yields a FileImpl, the
// filesystem's per-open state; the VFS wraps it in a FileDescription,
// which owns what Linux keeps in struct file: the offset, the status flags
// and the reference count that dup and fork share.
//
// The VFS keeps no dentry cache. A walk builds Dentry values (an Inode
// plus its name and parent) on the way down; the parent chain is what `..`
// and Getcwd follow, and a Location (a Mount and a Dentry) is what a
// working directory, a dirfd or an open file refers to. Filesystems that
// need identity across lookups (mount points, hard links) supply it through
// Stat's inode number, which must be unique and stable within one
// Filesystem.
//
// Mounts are keyed by (parent mount, inode number of the mount point), so a
// mount is found whichever path reaches its mount point.
//
// # Path resolution
//
// Resolution (walk.go) follows Linux's path_lookupat: absolute paths start
// at the VFS root, relative ones at the Location the caller passes (the
// working directory for AT_FDCWD or a dirfd's location); every directory
// walked through needs search permission; symbolic links are followed up to
// 40 times (ELOOP); `..` at the root stays at the root and crosses mount
// boundaries upward; a trailing slash requires a directory.
//
// # Credentials and umask
//
// Every operation takes the caller's *Credentials. UID 0 bypasses read
// and write permission checks and search checks, like CAP_DAC_OVERRIDE.
// The umask is applied by the caller: the mode passed to OpenAt (O_CREAT),
// Mkdir and Mknod is used as given.
//
// # Blocking
//
// Operations that can block (pipe and host-file reads and writes) take a
// Blocker. See blocker.go for the contract: a blocked call returns
// linux.ERESTARTSYS when the Blocker's Interrupted channel fires, and
// EAGAIN instead of blocking when passed NonBlocking.
//
// # Locking
//
// Lock order, outermost first:
//
//	FileDescription.mu (the offset; held across Read/Write/Seek/Getdents)
//	  VFS.renameMu (Rename and Link only)
//	    filesystem-internal locks (each fs documents its own; e.g.
//	    overlay's FS.mu before memfs's FS.mu)
//	      pipe.mu
//	        Queue.mu (leaf)
//
// VFS.mountMu is a leaf lock taken during walks. FDTable.mu is a leaf
// lock: descriptions leaving a table are released after it is dropped.
package vfs
