#!/bin/sh
# Stream WiFi fingerprints from a Raspberry Pi as CSV for `tinyllm record` (RSSI, one row per
# scan, one column per access point, empty = not heard). Needs only `iw` (in Raspberry Pi OS)
# and root for active scans:
#
#   tinyllm device add-source --project P pi4 wifi --command "sudo sh ~/wifi_scan.sh wlan0"
#   tinyllm record --project P --device pi4 --source wifi --label kitchen --scans 20
#
# Usage: wifi_scan.sh [IFACE] [BSSID ...]. The columns are the BSSIDs given, or else the ones the
# first scan hears. `--replay FILE N [IFACE] [BSSID ...]` prints N rows from a saved
# `iw dev IFACE scan` output instead of scanning.
set -eu
replay=""
count=0
if [ "${1:-}" = "--replay" ]; then
  replay=$2
  count=$3
  shift 3
fi
iface=${1:-wlan0}
[ $# -gt 0 ] && shift

scan() {
  if [ -n "$replay" ]; then cat "$replay"; else iw dev "$iface" scan; fi
}

# "BSSID dBm" per access point heard, from iw's "BSS aa:bb:..(on wlan0)" and "signal: -47.00 dBm".
heard() {
  scan | awk '/^BSS [0-9a-f:]+/ { bss = substr($2, 1, 17) }
              /^[ \t]*signal:/ { if (bss != "") print bss, $2; bss = "" }'
}

if [ $# -gt 0 ]; then
  aps=$*
else
  aps=$(heard | awk '{print $1}' | sort -u | tr '\n' ' ')
fi
[ -n "$aps" ] || { echo "wifi_scan.sh: no access point heard on $iface" >&2; exit 1; }
echo "$aps" | tr ' ' '\n' | awk 'NF' | tr '\n' ',' | sed 's/,$//; s/:/_/g'
echo

n=0
while [ "$count" -eq 0 ] || [ "$n" -lt "$count" ]; do
  heard | awk -v aps="$aps" '
    { level[$1] = $2 }
    END {
      k = split(aps, list, " ")
      line = ""
      for (i = 1; i <= k; i++) line = line (i > 1 ? "," : "") ((list[i] in level) ? level[list[i]] : "")
      print line
    }'
  n=$((n + 1))
done
