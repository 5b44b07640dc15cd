#!/bin/sh
# The main job for now: build casemail and walk through a day at the case
# desk with casectl on a temporary store.  (The daemon demo against local
# IMAP/SMTP servers replaces this once the inbound and outbound gateways land.)
#   scripts/demo.sh              install packages, build, run the walk-through
#   SKIP_DEPS=1 scripts/demo.sh  skip the package step
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "${SKIP_DEPS:-0}" != 1 ]; then
	scripts/deps.sh
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null

demo=$(mktemp -d /tmp/casemail-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
cat >"$demo/casemail.conf" <<CONF
[case]
address = cases@desk.example
organization_domains = desk.example
[store]
database = cases.db
attachments = attachments
CONF

ctl() {
	echo "\$ casectl $*"
	"$top/build/casectl" -c "$demo/casemail.conf" "$@"
	echo
}

export CASEMAIL_USER=anna@desk.example
echo "== A shipper calls: a pallet arrived crushed"
case1=$("$top/build/casectl" -c "$demo/casemail.conf" create \
	--subject "Pallet crushed on delivery to Rotterdam DC" --type damaged \
	--priority high --shipment 1Z999AA10123456784 --crm-shipper SF-20418 \
	--participant shipper.ops@acme.test --follow-up +1d)
echo "opened $case1"
echo
ctl assign "$case1" --owner anna@desk.example --side shipper
ctl assign "$case1" --owner dispatch@fasttrucks.test --side carrier
ctl note "$case1" "Shipper sent photos by phone; asked carrier for the POD."

echo "== A second case, still unowned"
case2=$("$top/build/casectl" -c "$demo/casemail.conf" create \
	--subject "Where is my order 4471?" --type wismo --follow-up -2h)
echo "opened $case2"
echo
ctl watch "$case2" --user lead@desk.example
ctl list --view new
ctl list --view overdue
ctl search rotterdam
ctl set "$case1" --crm-carrier FT-889 --priority urgent
ctl solve "$case1"
ctl reopen "$case1"
ctl assign "$case1" --owner someone.else@fasttrucks.test --side carrier || true
ctl show "$case1"
ctl history "$case1"
ctl --json show "$case2"
echo "demo finished; the temporary store is removed"
