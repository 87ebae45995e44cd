#!/usr/bin/env bash
# Every function a public header declares (SECSOCK_API, and the static inline
# zsock_* ones) carries Doxygen: @brief, one @param per named parameter, and
# @return or @retval unless it returns void (issue 10, part C). Exits non-zero
# and names the declaration otherwise.
set -euo pipefail
src=${SECSOCK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 - "$src/include" <<'PY'
import glob, re, sys

decl_re = re.compile(
    r'(?:SECSOCK_API|static inline)\s+([^;{()]*?)\b(zsock_\w+|tls_credential_\w+|net_\w+|secsock_\w+)'
    r'\s*\(([^)]*)\)\s*[;{]', re.S)
bad, seen = [], 0
for path in sorted(glob.glob(sys.argv[1] + '/**/*.h', recursive=True)):
    text = open(path).read()
    for m in decl_re.finditer(text):
        ret, name, params = m.group(1).strip(), m.group(2), m.group(3)
        if 'SECSOCK_API' not in m.group(0) and not name.startswith('zsock_'):
            continue  # inline helpers of net_ip.h carry a one-line @brief
        seen += 1
        before = text[:m.start()].rstrip()
        if not before.endswith('*/'):
            bad.append(f'{path}: {name}: no Doxygen comment')
            continue
        doc = before[before.rfind('/**'):]
        names = [re.sub(r'\[.*', '', p.strip().split()[-1]).lstrip('*')
                 for p in params.split(',') if p.strip() not in ('', 'void', '...')]
        for p in names:
            if not re.search(r'@param\s+' + re.escape(p) + r'\b', doc):
                bad.append(f'{path}: {name}: no @param {p}')
        if '@brief' not in doc:
            bad.append(f'{path}: {name}: no @brief')
        if ret != 'void' and '@retval' not in doc and '@return' not in doc:
            bad.append(f'{path}: {name}: no @return/@retval')
for b in bad:
    print('[ FAIL ]', b)
print(f'{seen} declarations, {len(bad)} problems')
sys.exit(1 if bad or seen == 0 else 0)
PY
