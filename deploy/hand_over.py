"""`make serve` started as root: give SERVE_USER the files the site writes, or refuse.

deploy/serve runs this (as root) before supervisord starts gunicorn and the db_workers
as SERVE_USER. SERVE_USER must read the code and write: the SQLite database
(DATABASE_PATH) and the rate limits' file (DEMO_LIMITS_PATH) with the files SQLite
keeps beside them, and the uploads (DEMO_UPLOAD_DIR). What it cannot write already is
handed over (chown) only where that gives it nothing else: a directory that holds the
site's data alone, never the project's code, SERVE_RUN_DIR (root's supervisord and
nginx read there) or a shared directory like /tmp. Otherwise this stops with a message
naming the variable and what to do.

    python deploy/hand_over.py USER
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path


class Refused(Exception):
    pass


def can(user: str, test: str, path: Path) -> bool:
    """Whether `user` passes `test -<test> path` (so every parent directory counts too)."""
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    done = subprocess.run(
        [runuser, "-u", user, "--", "test", f"-{test}", str(path)], check=False, cwd="/"
    )
    return done.returncode == 0


def holds(outer: Path, inner: Path) -> bool:
    return inner == outer or outer in inner.parents


def closed_to_hand_over(directory: Path, *, site_files: set[Path], keep: list[Path]) -> str:
    """Why `directory` must not be given away ("" if it may)."""
    if any(holds(directory, kept) for kept in keep):
        return "it holds the project's code or SERVE_RUN_DIR, which root reads"
    if not directory.exists():
        return ""
    mode = directory.stat().st_mode
    if mode & stat.S_ISVTX or mode & stat.S_IWOTH:
        return "it is a directory every user shares"
    others = sorted(entry.name for entry in directory.iterdir() if entry not in site_files)
    if others:
        return f"it holds more than the site's data (e.g. {others[0]})"
    return ""


def give(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid, follow_symlinks=False)


def sqlite_files() -> dict[str, Path]:
    """The SQLite files this configuration writes, by the variable that names them."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    files = {}
    if connection.vendor == "sqlite":
        files["DATABASE_PATH"] = Path(str(settings.DATABASES["default"]["NAME"])).resolve()
        if not settings.REDIS_URL:
            files["DEMO_LIMITS_PATH"] = Path(settings.DEMO_LIMITS_PATH).resolve()
    files["DEMO_UPLOAD_DIR"] = Path(settings.DEMO_UPLOAD_DIR).resolve()
    return files


def hand_over(user: str, *, app_dir: Path, venv_bin: Path, run_dir: Path) -> None:
    record = pwd.getpwnam(user)
    uid, gid = record.pw_uid, record.pw_gid
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    python = [runuser, "-u", user, "--", str(venv_bin / "python"), "-c", "import django"]
    readable = can(user, "r", app_dir / "manage.py")
    if not (readable and subprocess.run(python, cwd="/", capture_output=True).returncode == 0):
        raise Refused(
            f"SERVE_USER={user} cannot read the project in {app_dir} or run "
            f"{venv_bin}/python (the interpreter and every directory above it must be "
            "readable by that user): make them so, choose another SERVE_USER, start make "
            "serve as a user who is not root, or set SERVE_USER=root to run everything as "
            "root knowingly."
        )
    files = sqlite_files()
    uploads = files.pop("DEMO_UPLOAD_DIR")
    # SQLite writes beside its file: the -wal, -shm and -writers files.
    databases = dict(files)
    site_files = {uploads}
    for path in databases.values():
        site_files |= {*path.parent.glob(path.name + "*"), path}
    keep = [app_dir, venv_bin, run_dir]
    wanted = [(name, path.parent) for name, path in databases.items()]
    wanted.append(("DEMO_UPLOAD_DIR", uploads))
    for name, directory in wanted:
        if can(user, "w", directory) and can(user, "x", directory):
            continue
        # Inside the project only var/ is data: anything else there is code.
        inside_code = holds(app_dir, directory) and not holds(app_dir / "var", directory)
        why = (
            "it is part of the project's code"
            if inside_code
            else closed_to_hand_over(directory, site_files=site_files, keep=keep)
        )
        if why:
            raise Refused(
                f"{name}={os.environ.get(name) or '(default)'}: SERVE_USER={user} cannot write "
                f"in {directory}, and it is not handed over: {why}. Put the site's data in a "
                "directory of its own (e.g. DATABASE_PATH=var/data/site.sqlite3, "
                "DEMO_LIMITS_PATH=var/data/limits.sqlite3, DEMO_UPLOAD_DIR=var/data/uploads), "
                f"give {user} that directory, or start make serve as a user who is not root."
            )
        directory.mkdir(parents=True, exist_ok=True)
        give(directory, uid, gid)
    for path in databases.values():
        for entry in path.parent.glob(path.name + "*"):
            give(entry, uid, gid)
    for entry in uploads.rglob("*"):
        give(entry, uid, gid)
    for name, directory in wanted:
        if not can(user, "w", directory):
            raise Refused(
                f"{name}: SERVE_USER={user} still cannot write in {directory} "
                "(a parent directory is closed to it): choose a path it can reach."
            )


if __name__ == "__main__":
    # The site's settings are imported from the project.
    app_dir = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(app_dir))
    try:
        hand_over(
            sys.argv[1],
            app_dir=app_dir,
            venv_bin=Path(os.environ["VENV_BIN"]).resolve(),
            run_dir=Path(os.environ["SERVE_RUN_DIR"]).resolve(),
        )
    except Refused as error:
        raise SystemExit(f"deploy/serve: started as root: {error}") from None
