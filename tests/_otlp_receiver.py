"""Real OTLP receivers for the tests: HTTP/protobuf (stdlib server) and gRPC, on 127.0.0.1.

Each decodes what arrives with ``opentelemetry-proto``, exactly as a
collector would, and keeps it as plain dicts: log records, spans and metric
points, with their resource attributes and instrumentation scope.
"""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as logs_pb
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

_REQUESTS: dict[str, tuple[type[Message], type[Message]]] = {
    "/v1/logs": (logs_pb.ExportLogsServiceRequest, logs_pb.ExportLogsServiceResponse),
    "/v1/traces": (trace_pb.ExportTraceServiceRequest, trace_pb.ExportTraceServiceResponse),
    "/v1/metrics": (
        metrics_pb.ExportMetricsServiceRequest,
        metrics_pb.ExportMetricsServiceResponse,
    ),
}


def closed_port() -> int:
    """Return a local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def value(any_value: AnyValue) -> Any:
    """Return an OTLP ``AnyValue`` as a Python value."""
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return attributes(any_value.kvlist_value.values)
    return getattr(any_value, kind)


def attributes(pairs: Iterator[KeyValue] | Any) -> dict[str, Any]:
    """Return OTLP key-values as a dict."""
    return {pair.key: value(pair.value) for pair in pairs}


class _Store:
    """Decoded requests, by signal, shared by both receivers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: dict[str, list[Any]] = {"logs": [], "traces": [], "metrics": []}
        self.headers: list[dict[str, str]] = []

    def clear(self) -> None:
        """Forget everything received so far."""
        with self.lock:
            for requests in self.received.values():
                requests.clear()
            self.headers.clear()

    def add(self, signal: str, request: Any, headers: dict[str, str]) -> None:
        with self.lock:
            self.received[signal].append(request)
            self.headers.append(headers)

    def logs(self) -> list[dict[str, Any]]:
        """Return every log record received, flattened."""
        out = []
        with self.lock:
            requests = list(self.received["logs"])
        for request in requests:
            for rl in request.resource_logs:
                resource = attributes(rl.resource.attributes)
                for sl in rl.scope_logs:
                    for record in sl.log_records:
                        out.append(
                            {
                                "resource": resource,
                                "scope": sl.scope.name,
                                "severity_number": record.severity_number,
                                "severity_text": record.severity_text,
                                "body": value(record.body),
                                "event_name": record.event_name,
                                "attributes": attributes(record.attributes),
                                "trace_id": record.trace_id.hex(),
                                "span_id": record.span_id.hex(),
                            }
                        )
        return out

    def spans(self) -> list[dict[str, Any]]:
        """Return every span received, flattened."""
        out = []
        with self.lock:
            requests = list(self.received["traces"])
        for request in requests:
            for rs in request.resource_spans:
                resource = attributes(rs.resource.attributes)
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        out.append(
                            {
                                "resource": resource,
                                "scope": ss.scope.name,
                                "name": span.name,
                                "kind": span.kind,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(),
                                "start": span.start_time_unix_nano,
                                "end": span.end_time_unix_nano,
                                "attributes": attributes(span.attributes),
                                "events": [
                                    {
                                        "name": e.name,
                                        "time": e.time_unix_nano,
                                        "attributes": attributes(e.attributes),
                                    }
                                    for e in span.events
                                ],
                                "status_code": span.status.code,
                                "status_message": span.status.message,
                            }
                        )
        return out

    def points(self) -> list[dict[str, Any]]:
        """Return every metric data point received, flattened, with its metric's name."""
        out = []
        with self.lock:
            requests = list(self.received["metrics"])
        for request in requests:
            for rm in request.resource_metrics:
                resource = attributes(rm.resource.attributes)
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        kind = metric.WhichOneof("data")
                        for point in getattr(metric, kind).data_points:
                            entry = {
                                "resource": resource,
                                "name": metric.name,
                                "unit": metric.unit,
                                "kind": kind,
                                "attributes": attributes(point.attributes),
                            }
                            if kind == "histogram":
                                entry["bounds"] = list(point.explicit_bounds)
                                entry["counts"] = list(point.bucket_counts)
                                entry["count"] = point.count
                                entry["sum"] = point.sum
                            else:
                                entry["value"] = (
                                    point.as_double
                                    if point.WhichOneof("value") == "as_double"
                                    else point.as_int
                                )
                            out.append(entry)
        return out

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until ``predicate()`` holds; return whether it did in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()


class _QuietServer(ThreadingHTTPServer):
    """Say nothing of a client that left before its reply (a timed-out exporter, on purpose)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)


class OTLPReceiver(_Store):
    """An OTLP/HTTP (protobuf) receiver on an ephemeral port of 127.0.0.1.

    Args:
        status: The HTTP status to answer with (a failing collector: 500...).
        delay: Seconds to wait before answering (a slow collector).
        headers: More response headers (``Retry-After`` with a 429, say).
    """

    def __init__(
        self, *, status: int = 200, delay: float = 0.0, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__()
        store = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                types = _REQUESTS.get(self.path)
                if delay:
                    time.sleep(delay)
                if types is None:
                    self.send_error(404)
                    return
                request = types[0]()
                request.ParseFromString(body)
                if status == 200:
                    store.add(self.path.rpartition("/")[2], request, dict(self.headers))
                reply = types[1]().SerializeToString()
                self.send_response(status)
                for name, header in (headers or {}).items():
                    self.send_header(name, header)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """The base URL, as ``OTEL_EXPORTER_OTLP_ENDPOINT`` takes it."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> OTLPReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class OTLPGrpcReceiver(_Store):
    """An OTLP/gRPC receiver on an ephemeral port of 127.0.0.1 (insecure)."""

    def __init__(self) -> None:
        super().__init__()
        import grpc
        from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc as logs_grpc
        from opentelemetry.proto.collector.metrics.v1 import (
            metrics_service_pb2_grpc as metrics_grpc,
        )
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as trace_grpc

        store = self

        class Logs(logs_grpc.LogsServiceServicer):  # type: ignore[misc]
            def Export(self, request: Any, context: Any) -> Any:
                store.add("logs", request, dict(context.invocation_metadata()))
                return logs_pb.ExportLogsServiceResponse()

        class Traces(trace_grpc.TraceServiceServicer):  # type: ignore[misc]
            def Export(self, request: Any, context: Any) -> Any:
                store.add("traces", request, dict(context.invocation_metadata()))
                return trace_pb.ExportTraceServiceResponse()

        class Metrics(metrics_grpc.MetricsServiceServicer):  # type: ignore[misc]
            def Export(self, request: Any, context: Any) -> Any:
                store.add("metrics", request, dict(context.invocation_metadata()))
                return metrics_pb.ExportMetricsServiceResponse()

        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        logs_grpc.add_LogsServiceServicer_to_server(Logs(), self._server)
        trace_grpc.add_TraceServiceServicer_to_server(Traces(), self._server)
        metrics_grpc.add_MetricsServiceServicer_to_server(Metrics(), self._server)
        self._port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def endpoint(self) -> str:
        """The URL, as ``OTEL_EXPORTER_OTLP_ENDPOINT`` takes it."""
        return f"http://127.0.0.1:{self._port}"

    def __enter__(self) -> OTLPGrpcReceiver:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop(grace=None)


class HungReceiver:
    """A collector that accepts connections and never answers (nor reads) on 127.0.0.1."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self.connections = 0

    def _accept(self) -> None:
        self._sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:  # the timeout, or the socket closed
                continue
            self._held.append(conn)
            self.connections += 1

    @property
    def endpoint(self) -> str:
        """The base URL, as ``OTEL_EXPORTER_OTLP_ENDPOINT`` takes it."""
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> HungReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self._held:
            conn.close()
        self._sock.close()
