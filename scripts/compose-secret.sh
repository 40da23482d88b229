#!/bin/sh
# Makes the docker compose cluster's CLUSTER_SECRET once, in the .env file next to
# docker-compose.yml, where `docker compose` reads it on every command. Run it before
# the first `docker compose up -d`; running it again keeps the secret it finds, because
# a new secret would recreate every node at once with a secret the others do not share.
set -eu

project_dir=$(cd "$(dirname "$0")/.." && pwd)
env_file="$project_dir/.env"

if [ -f "$env_file" ] && grep -q '^CLUSTER_SECRET=' "$env_file"; then
  if grep -q '^CLUSTER_SECRET=..*' "$env_file"; then
    echo "kept the existing CLUSTER_SECRET in $env_file"
    exit 0
  fi
  echo "$env_file has an empty CLUSTER_SECRET line: remove it or give it a value, then run this again" >&2
  exit 1
fi

# 24 random bytes as 48 hex digits (the nodes want at least 16 characters); od and
# /dev/urandom rather than openssl, which not every host has.
secret=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
if [ "${#secret}" -ne 48 ]; then
  echo "could not read 24 random bytes from /dev/urandom" >&2
  exit 1
fi

# Only the owner may read the file that holds the secret (a new file is made 0600;
# an existing .env keeps its mode and its other lines).
umask 077
if [ -s "$env_file" ] && [ -n "$(tail -c 1 "$env_file")" ]; then
  echo >>"$env_file" # the existing last line has no newline: do not glue onto it
fi
echo "CLUSTER_SECRET=$secret" >>"$env_file"
echo "wrote a new CLUSTER_SECRET to $env_file"
