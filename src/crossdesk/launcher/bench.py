"""Memory per open account: ``python -m crossdesk.launcher.bench --accounts 5``.

Opens N accounts the way the launcher does (one Chromium process tree per account, each on
its own fresh profile) on a small local page that uses cookies, localStorage and
IndexedDB, then sums the proportional set size (PSS, shared pages split fairly) of each
account's process tree from /proc. Linux only.
"""

import argparse
import asyncio
import contextlib
import http.server
import threading
from pathlib import Path

from playwright.async_api import async_playwright

from crossdesk.launcher.browser import DEFAULT_CHROMIUM, QUIET_ARGS, fresh_profile

PAGE = b"""<!doctype html><title>bench</title><p id=s>...</p><script>
document.cookie = "sid=bench; path=/";
localStorage.setItem("device", "x".repeat(1000));
const r = indexedDB.open("bench", 1);
r.onupgradeneeded = () => r.result.createObjectStore("k");
r.onsuccess = () => { document.getElementById("s").textContent = "ready"; };
</script>"""


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        return


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _kib(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def tree_memory(profile: Path) -> tuple[int, int, int]:
    """(processes, PSS KiB, RSS KiB) of the Chromium started on ``profile``."""
    roots = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                if f"--user-data-dir={profile}".encode() in cmdline and not any(
                    arg.startswith(b"--type=") for arg in cmdline
                ):
                    roots.append(int(entry.name))
    children = _children()
    pids, stack = [], list(roots)
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack.extend(children.get(pid, []))
    return len(pids), sum(_kib(p, "Pss") for p in pids), sum(_kib(p, "Rss") for p in pids)


async def measure(accounts: int, executable: str, headless: bool, settle: float) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    args = [*QUIET_ARGS, "--no-sandbox", "--disable-gpu"]
    with contextlib.ExitStack() as stack:
        profiles = [stack.enter_context(fresh_profile(f"bench{i}")) for i in range(accounts)]
        async with async_playwright() as playwright:
            contexts = []
            for profile in profiles:
                context = await playwright.chromium.launch_persistent_context(
                    profile, executable_path=executable, headless=headless, args=args
                )
                page = context.pages[0] if context.pages else await context.new_page()
                await page.goto(url)
                await page.wait_for_selector("text=ready")
                contexts.append(context)
            await asyncio.sleep(settle)
            total_pss = 0
            for index, profile in enumerate(profiles):
                count, pss, rss = tree_memory(profile)
                total_pss += pss
                print(
                    f"account {index + 1}: {count} processes, PSS {pss / 1024:.0f} MiB, "
                    f"RSS {rss / 1024:.0f} MiB"
                )
            print(
                f"{accounts} accounts open: PSS total {total_pss / 1024:.0f} MiB, "
                f"{total_pss / 1024 / accounts:.0f} MiB per account"
            )
            for context in contexts:
                await context.close()
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=5)
    parser.add_argument("--chromium", default=DEFAULT_CHROMIUM)
    parser.add_argument("--headed", action="store_true", help="windows (needs a display)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before measuring")
    options = parser.parse_args()
    asyncio.run(measure(options.accounts, options.chromium, not options.headed, options.settle))


if __name__ == "__main__":
    main()
