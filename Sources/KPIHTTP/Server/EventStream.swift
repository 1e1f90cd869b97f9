import Hummingbird
import ServiceLifecycle

/// `GET /api/v1/stream`: the store's updates as Server-Sent Events.
///
/// Each subscriber gets its own bounded stream from the store; this merges it
/// with a heartbeat comment and writes frames until the client goes away,
/// the store ends the subscription, the service shuts down gracefully (so an
/// open browser tab never holds up shutdown), or `maxDuration` has passed.
enum EventStream {
    enum Frame: Sendable {
        case update(LiveUpdate)
        case heartbeat
    }

    /// `slot`: the stream's place under the server's cap, held until the body ends.
    static func response(request: Request, store: LiveKPIStore, filter: SnapshotFilter,
                         heartbeat: Duration, buffer: Int, maxDuration: Duration?, slot: StreamGate.Slot? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.init("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { withExtendedLifetime(slot) {} }
            let (frames, sink) = AsyncStream<Frame>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
            // Subscribe inside the body: a subscription is only made for a stream that is written.
            let updates = store.subscribe()
            try await writer.write(bytes(": connected\nretry: 1000\n\n"))
            try await withGracefulShutdownHandler {
                try await request.body.consumeWithInboundCloseHandler { _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await update in updates where admits(update, filter) { sink.yield(.update(update)) }
                            sink.finish()
                        }
                        group.addTask {
                            while true {
                                try await Task.sleep(for: heartbeat)
                                sink.yield(.heartbeat)
                            }
                        }
                        if let maxDuration {
                            group.addTask {
                                try await Task.sleep(for: maxDuration)
                                sink.finish()
                            }
                        }
                        defer { group.cancelAll() }
                        for await frame in frames {
                            try await writer.write(encode(frame))
                        }
                    }
                } onInboundClosed: {
                    sink.finish()
                }
            } onGracefulShutdown: {
                sink.finish()
            }
            try await writer.finish(nil)
        })
    }

    /// Alerts are not filtered: the dashboard shows a shop's alerts whatever its
    /// scope filter, and there are few.
    static func admits(_ update: LiveUpdate, _ filter: SnapshotFilter) -> Bool {
        switch update {
        case .snapshot(let scope, let window, _): filter.admits(scope, window)
        case .alert: true
        }
    }

    static func encode(_ frame: Frame) -> ByteBuffer {
        switch frame {
        case .heartbeat:
            return bytes(": heartbeat\n\n")
        case .update(let update):
            var buffer = ByteBuffer()
            buffer.reserveCapacity(update.json.count + 32)
            switch update {
            case .snapshot: buffer.writeString("event: snapshot\n")
            case .alert: buffer.writeString("event: alert\n")
            }
            // One `data:` line per line of the payload (our JSON has none, but an
            // alert's bytes come from elsewhere and a raw newline would cut the event).
            for line in update.json.split(separator: 0x0A, omittingEmptySubsequences: false) {
                buffer.writeString("data: ")
                buffer.writeBytes(line.last == 0x0D ? line.dropLast() : line)
                buffer.writeInteger(UInt8(0x0A))
            }
            buffer.writeInteger(UInt8(0x0A))
            return buffer
        }
    }

    static func bytes(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }
}
