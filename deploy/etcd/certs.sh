#!/bin/sh
# certs.sh makes the certificates of an etcd cluster and its clients with
# openssl: a CA, one certificate per member (server and peer), and client
# certificates for canhbao and for the operator's etcdctl (named "root").
#
#   deploy/etcd/certs.sh DIR etcd1=10.0.0.11 etcd2=10.0.0.12 etcd3=10.0.0.13
#
# Each member NAME=ADDRESS gets NAME.crt and NAME.key, valid for ADDRESS (an
# IP address or a DNS name), NAME, localhost and 127.0.0.1. An existing CA
# in DIR is reused, so that the same command renews certificates or adds a
# member. Keep ca.key off the servers.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 DIR NAME=ADDRESS..." >&2
	exit 2
fi
dir=$1
shift
days=${CERT_DAYS:-825}
mkdir -p "$dir"
cd "$dir"
umask 077

if [ ! -f ca.key ]; then
	openssl ecparam -name prime256v1 -genkey -noout -out ca.key
	openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=canhbao etcd CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
fi

# sign NAME SUBJECT_ALT_NAMES EXTENDED_KEY_USAGE
sign() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
	openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr"
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$3"
		if [ -n "$2" ]; then echo "subjectAltName=$2"; fi
	} >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
		-sha256 -days "$days" -extfile "$1.ext" -out "$1.crt" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
	echo "$dir/$1.crt"
}

for member in "$@"; do
	name=${member%%=*}
	addr=${member#*=}
	if [ "$name" = "$member" ] || [ -z "$name" ] || [ -z "$addr" ]; then
		echo "$0: $member is not NAME=ADDRESS" >&2
		exit 2
	fi
	case $addr in
	*[!0-9.]* | "") case $addr in *:*) san="IP:$addr" ;; *) san="DNS:$addr" ;; esac ;;
	*) san="IP:$addr" ;;
	esac
	# Members connect to each other as clients too: both usages.
	sign "$name" "$san,DNS:$name,DNS:localhost,IP:127.0.0.1" "serverAuth,clientAuth"
done

# The CN is the etcd user name when the cluster's authentication is on.
sign canhbao "" clientAuth
sign root "" clientAuth
