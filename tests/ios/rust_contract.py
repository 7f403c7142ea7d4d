"""The behaviour of the Rust library that SidKitUI's SmartIdFlowCoordinator relies on, checked
through the library's Python bindings (the same UniFFI surface the Swift bindings call).

usage: rust_contract.py PYTHON_BINDINGS_DIR [--self-test]   (the dir holds sidkit.py and libsidkit.so)

--self-test expects a wrong rejection kind on purpose, so the run must fail.

Prints one line per problem; exit status 1 if there is any. Each assertion names the Swift code
that depends on it.
"""
import asyncio
import base64
import hashlib
import os
import sys

sys.path.insert(0, sys.argv[1])
import sidkit as s  # noqa: E402

BASE = "https://rp.example.com/smart-id/return"
SELF_TEST = "--self-test" in sys.argv[2:]
problems = []


def expect(cond, what):
    if not cond:
        problems.append(what)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Backend(s.BackendTransport):
    def __init__(self):
        self.calls = []
        self.fail_start = False
        self.token = b64url(os.urandom(32))

    async def start_flow(self, request):
        self.calls.append("start")
        if self.fail_start:
            raise s.SidkitError.Transport("offline", True)
        link = ("https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken=" + "A" * 24
                + "&sessionType=auth&version=1.0&lang=eng&authCode=" + b64url(os.urandom(32)))
        return s.StartFlowResponse(
            flow_handle="fh_" + b64url(os.urandom(12)), session_type=s.SessionType.AUTH, device_link=link,
            callback_base=BASE, callback_commitment=b64url(hashlib.sha256(self.token.encode()).digest()),
            expires_in_ms=120000)

    async def complete_flow(self, request, flow_key):
        self.calls.append("complete")
        return s.FlowOutcome.FAILED(s.FailureReason.USER_REFUSED, None)

    async def poll_flow(self, request, flow_key):
        self.calls.append("poll")
        return s.PollFlowResponse.PENDING(None)

    async def cancel_flow(self, request, flow_key):
        self.calls.append("cancel")


def rejection(client, url):
    try:
        client.find_flow(url)
        return "found"
    except s.SidkitError.ReturnUrlRejected as e:
        return e.kind.name


async def main():
    backend = Backend()
    client = s.SidkitClient(s.SidkitConfig(callback_base=BASE, environment=s.SmartIdEnvironment.LIVE,
                                           additional_device_link_bases=[], max_flow_duration_ms=None), backend)
    # handle(url:): FOREIGN_BASE -> false; MALFORMED -> false unless on the callback base; else true.
    for url, kind in [
        ("https://other.example.com/smart-id/return?value=" + "a" * 30, "FOREIGN_BASE"),
        ("https://rp.example.com/orders/17", "MALFORMED" if SELF_TEST else "FOREIGN_BASE"),
        ("myapp://smart-id/return?value=abc", "MALFORMED"),
        ("https://rp.example.com/other#fragment", "MALFORMED"),
        (BASE + "?value=x", "MALFORMED"),
        (BASE + "?value=" + "a" * 30, "UNKNOWN_FLOW"),
    ]:
        got = rejection(client, url)
        expect(got == kind, f"handle(url:) relies on find_flow({url!r}) -> {kind}, got {got}")

    # run(): a retryable start error leaves the flow in Created (not over); cancel() ends it
    # without a backend call.
    backend.fail_start = True
    flow = client.create_flow(s.FlowRequest(kind=s.FlowKind.AUTHENTICATION, presentation=s.Presentation.APP2APP,
                                            lang="eng", context=None))
    try:
        await flow.start()
        expect(False, "start must fail")
    except s.SidkitError as e:
        expect(e.code() == "transport" and e.is_retryable(), f"a transport error must stay retryable: {e.code()}")
    expect(isinstance(flow.status(), s.FlowStatus.CREATED) and not flow.tick(), "after a retryable start error the flow is Created")
    await flow.cancel()
    expect(isinstance(flow.status(), s.FlowStatus.CANCELLED) and flow.tick(), "cancel() ends a Created flow")
    expect(backend.calls == ["start"], f"cancel() of a flow without a handle calls the backend: {backend.calls}")

    # launch(): markLaunched moves ReadyToLaunch -> AwaitingReturn and the snapshot says so;
    # a cancelled flow is still found by its return URL, which is then Stale (consumed, no change).
    backend.fail_start = False
    flow = client.create_flow(s.FlowRequest(kind=s.FlowKind.AUTHENTICATION, presentation=s.Presentation.APP2APP,
                                            lang="eng", context=None))
    step = await flow.start()
    expect(isinstance(step, s.FlowStep.LAUNCH_APP), f"start -> LaunchApp, got {step}")
    expect(flow.snapshot() is not None and '"stage":"readyToLaunch"' in flow.snapshot(), "snapshot before launch")
    flow.mark_launched()
    expect('"stage":"awaitingReturn"' in (flow.snapshot() or ""), "snapshot after markLaunched")
    restored = s.SidkitClient(s.SidkitConfig(callback_base=BASE, environment=s.SmartIdEnvironment.LIVE,
                                             additional_device_link_bases=[], max_flow_duration_ms=None),
                              backend).restore_flow(flow.snapshot())
    expect(isinstance(restored.status(), s.FlowStatus.AWAITING_RETURN), "a restored flow is AwaitingReturn")
    ret = BASE + "?value=" + backend.token
    await flow.cancel()
    expect(backend.calls[-1] == "cancel", "cancel() of a started flow tells the backend")
    expect(flow.snapshot() is None, "a cancelled flow has no snapshot")
    expect(rejection(client, ret) == "found", "a cancelled flow is still found by its return URL")
    try:
        await flow.complete(ret)
        expect(False, "completing a cancelled flow must fail")
    except s.SidkitError as e:
        expect(e.code() == "return_url_stale", f"a late return of a cancelled flow is stale: {e.code()}")
    expect(flow.tick(), "a cancelled flow is over (tick() == true)")
    expect("complete" not in backend.calls, "a stale return never reaches the backend")

    # restore(snapshot:): garbage is refused with flow_snapshot.
    for bad in ['{"v":99}', "not json"]:
        try:
            client.restore_flow(bad)
            expect(False, f"restore_flow({bad!r}) must fail")
        except s.SidkitError as e:
            expect(e.code() == "flow_snapshot", f"restore_flow({bad!r}) -> {e.code()}")


asyncio.run(main())
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
