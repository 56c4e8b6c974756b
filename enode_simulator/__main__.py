"""``python -m enode_simulator``: run the Enode simulator until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from .scenario import available_scenarios, load_scenario
from .simulator import Simulator


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m enode_simulator",
        description=(
            "A local Enode API (2024-10-01) with its Link UI, webhooks and a control API under "
            "/_simulator/. The API is served at the root of http://HOST:PORT and the OAuth "
            "token endpoint at /oauth2/token."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8234, help="port to listen on (8234)")
    parser.add_argument(
        "--scenario",
        default="demo",
        help=(
            "a bundled scenario name ("
            + ", ".join(available_scenarios())
            + ") or the path of a scenario JSON file (demo)"
        ),
    )
    parser.add_argument(
        "--action-delay",
        type=float,
        default=None,
        help="simulated seconds before a PENDING action resolves (default: the scenario's)",
    )
    parser.add_argument(
        "--history-days",
        type=float,
        default=3.0,
        help=(
            "days of statistics history (HEM systems, charging) every user gets, also when "
            "linking devices later (3; 0: none; the scenario's settings.historyDays is ignored)"
        ),
    )
    parser.add_argument(
        "--public-url",
        default=None,
        help="base URL put in linkUrl when the simulator is reached under another address",
    )
    parser.add_argument(
        "--log-level", default="INFO", help="logging level (DEBUG, INFO, WARNING...)"
    )
    return parser


async def serve(args: argparse.Namespace) -> None:
    """Start the simulator and wait for SIGINT/SIGTERM."""
    simulator = Simulator(
        scenario=args.scenario,
        action_delay=args.action_delay,
        public_url=args.public_url,
        history_days=args.history_days,
    )
    await simulator.start(host=args.host, port=args.port)
    print(
        f"Enode simulator ({args.scenario}) on {simulator.base_url} "
        f"client_id={simulator.client_id} user={simulator.user_id}",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await simulator.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    try:
        load_scenario(args.scenario)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
