#!/usr/bin/env bash
# The installer behind action.yml (the "Set up ristretto" GitHub Action), in two steps:
#
#   action-install.sh resolve   which release and archive: writes version, tag, target, archive
#                               and directory to $GITHUB_OUTPUT (or stdout outside Actions)
#   action-install.sh install   download that archive and SHA256SUMS, refuse it unless the
#                               checksum matches, unpack it into the directory, put it on PATH
#
# resolve reads:
#   RISTRETTO_VERSION     "latest" (default) or a release: 0.1.0 or v0.1.0
#   RISTRETTO_REPOSITORY  owner/name whose releases to use [default: the action's own repository]
#   GITHUB_TOKEN          sent to the API only, to find the latest release
#   GITHUB_SERVER_URL, GITHUB_API_URL, RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE (set by runners)
# install reads RISTRETTO_TAG, RISTRETTO_ARCHIVE and RISTRETTO_DIRECTORY (resolve's outputs).
#
# An archive already unpacked in the directory (restored by actions/cache, or left in a
# self-hosted runner's tool cache) is used when its binary reports the expected version.
set -euo pipefail

fail() {
  echo "::error title=ristretto setup::$*" >&2
  exit 1
}

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1=$2" >>"$GITHUB_OUTPUT"
  else
    echo "$1=$2"
  fi
}

server_url="${GITHUB_SERVER_URL:-https://github.com}"
api_url="${GITHUB_API_URL:-https://api.github.com}"

# The repository this action was used from: `uses: OWNER/REPO@REF` checks it out under
# .../_actions/OWNER/REPO/REF; a workflow that uses its own checkout (`uses: ./`) is that
# repository itself.
repository() {
  if [ -n "${RISTRETTO_REPOSITORY:-}" ]; then
    echo "$RISTRETTO_REPOSITORY"
  elif [ -n "${ACTION_REPOSITORY:-}" ]; then
    echo "$ACTION_REPOSITORY"
  elif [[ "${GITHUB_ACTION_PATH:-}" == */_actions/*/*/* ]]; then
    local rest="${GITHUB_ACTION_PATH#*/_actions/}"
    rest="${rest//\\//}"
    echo "${rest%%/*}/$(echo "$rest" | cut -d/ -f2)"
  elif [ -n "${GITHUB_REPOSITORY:-}" ]; then
    echo "$GITHUB_REPOSITORY"
  else
    fail "cannot tell which repository publishes ristretto: set the repository input"
  fi
}

# The release target for this runner, named as release.yml names its archives.
target() {
  local os="${RUNNER_OS:-}" arch="${RUNNER_ARCH:-}"
  if [ -z "$os" ]; then
    case "$(uname -s)" in
      Linux) os=Linux ;;
      Darwin) os=macOS ;;
      MINGW* | MSYS* | CYGWIN*) os=Windows ;;
      *) os="$(uname -s)" ;;
    esac
  fi
  if [ -z "$arch" ]; then
    case "$(uname -m)" in
      x86_64 | amd64) arch=X64 ;;
      aarch64 | arm64) arch=ARM64 ;;
      *) arch="$(uname -m)" ;;
    esac
  fi
  case "$os/$arch" in
    Linux/X64) echo x86_64-unknown-linux-gnu ;;
    Linux/ARM64) echo aarch64-unknown-linux-gnu ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) fail "ristretto has no release archive for $os $arch (there are archives for Linux X64 and ARM64, macOS X64 and ARM64, Windows X64)" ;;
  esac
}

# GET a URL into a file; prints the HTTP status ("000" when nothing answered).
fetch() {
  local url="$1" file="$2"
  shift 2
  curl --silent --show-error --location --retry 3 --retry-connrefused --connect-timeout 20 \
    --output "$file" --write-out '%{http_code}' "$@" "$url" || true
}

latest_tag() {
  local repository="$1" answer status
  answer="$(mktemp)"
  # (Spelled out for macOS's bash 3.2, where an empty array is "unbound" under set -u.)
  local authorization=()
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    authorization=(--header "Authorization: Bearer $GITHUB_TOKEN")
  fi
  status="$(fetch "$api_url/repos/$repository/releases/latest" "$answer" \
    --header "Accept: application/vnd.github+json" ${authorization[@]+"${authorization[@]}"})"
  case "$status" in
    200) ;;
    404) fail "$repository has no published release ($api_url/repos/$repository/releases/latest answered 404): set the version input, or the repository input if ristretto is published elsewhere" ;;
    401 | 403 | 429) fail "the GitHub API refused to name the latest release of $repository (HTTP $status): pass a token with the github-token input, or set the version input" ;;
    *) fail "cannot ask the GitHub API for the latest release of $repository (HTTP $status from $api_url)" ;;
  esac
  local tag
  tag="$(tr -d '\n' <"$answer" | sed -n 's/.*"tag_name"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
  rm -f "$answer"
  [ -n "$tag" ] || fail "the latest release of $repository has no tag_name"
  echo "$tag"
}

resolve() {
  local repository requested tag version target archive directory
  repository="$(repository)"
  requested="${RISTRETTO_VERSION:-latest}"
  if [ "$requested" = latest ]; then
    tag="$(latest_tag "$repository")"
  else
    tag="v${requested#v}"
  fi
  version="${tag#v}"
  if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
    fail "\"$requested\" is not a ristretto version: use latest or a version such as 0.1.0"
  fi
  target="$(target)"
  case "$target" in
    *-windows-*) archive="ristretto-$version-$target.zip" ;;
    *) archive="ristretto-$version-$target.tar.gz" ;;
  esac
  directory="${RUNNER_TOOL_CACHE:-${TMPDIR:-/tmp}}/ristretto/$version/$target"
  output repository "$repository"
  output tag "$tag"
  output version "$version"
  output target "$target"
  output archive "$archive"
  output directory "$directory"
}

sha256() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

unpack() {
  local archive="$1" into="$2"
  case "$archive" in
    *.zip)
      if command -v unzip >/dev/null; then
        unzip -q "$archive" -d "$into"
      else
        7z x -y -bd "-o$into" "$archive" >/dev/null
      fi
      ;;
    *) tar -xzf "$archive" -C "$into" ;;
  esac
}

installed_version_matches() {
  local binary="$1" version="$2"
  [ -x "$binary" ] && [ "$("$binary" --version 2>/dev/null)" = "ristretto $version" ]
}

install() {
  local repository="${RISTRETTO_REPOSITORY_RESOLVED:?}" tag="${RISTRETTO_TAG:?}"
  local archive="${RISTRETTO_ARCHIVE:?}" directory="${RISTRETTO_DIRECTORY:?}"
  local version="${tag#v}" executable=ristretto
  case "$archive" in *.zip) executable=ristretto.exe ;; esac

  if installed_version_matches "$directory/$executable" "$version"; then
    echo "ristretto $version is already in $directory"
  else
    local work base status expected actual
    work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ristretto.XXXXXX")"
    base="$server_url/$repository/releases/download/$tag"
    status="$(fetch "$base/SHA256SUMS" "$work/SHA256SUMS")"
    case "$status" in
      200) ;;
      404) fail "ristretto $tag is not released in $repository ($base/SHA256SUMS answered 404): check the version input; releases are listed at $server_url/$repository/releases" ;;
      *) fail "cannot download $base/SHA256SUMS (HTTP $status)" ;;
    esac
    expected="$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1 }' "$work/SHA256SUMS")"
    [ -n "$expected" ] || fail "SHA256SUMS of ristretto $tag lists no $archive: this release has no archive for this runner"
    status="$(fetch "$base/$archive" "$work/$archive")"
    [ "$status" = 200 ] || fail "cannot download $base/$archive (HTTP $status)"
    actual="$(sha256 "$work/$archive")"
    if [ "$actual" != "$expected" ]; then
      fail "checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual; refusing to install it"
    fi
    mkdir -p "$work/unpacked"
    unpack "$work/$archive" "$work/unpacked"
    local unpacked="$work/unpacked/${archive%.tar.gz}"
    unpacked="${unpacked%.zip}"
    [ -f "$unpacked/$executable" ] || fail "$archive has no ${unpacked##*/}/$executable"
    rm -rf "$directory"
    mkdir -p "$directory"
    cp -R "$unpacked/." "$directory/"
    chmod +x "$directory/$executable"
    rm -rf "$work"
    installed_version_matches "$directory/$executable" "$version" ||
      fail "the installed $directory/$executable does not report version $version"
    echo "Installed ristretto $version ($archive, SHA-256 $actual) into $directory"
  fi
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$directory" >>"$GITHUB_PATH"
  fi
}

case "${1:-}" in
  resolve) resolve ;;
  install) install ;;
  *)
    echo "usage: action-install.sh resolve|install" >&2
    exit 2
    ;;
esac
