// Round-trip cost of FFI calls from Kotlin into libsidkit (JNA direct mapping). A measurement
// harness, not a test: run it with tests/kotlin/bench/run.sh and read the numbers.
@file:Suppress("INVISIBLE_MEMBER", "INVISIBLE_REFERENCE")
package dev.sidkit.bench

import dev.sidkit.ffi.*
import dev.sidkit.tests.FakeBackend
import dev.sidkit.tests.FakeTransport
import dev.sidkit.tests.CALLBACK_BASE
import kotlinx.coroutines.runBlocking

inline fun measure(name: String, warmup: Int, iterations: Int, block: () -> Unit) {
    repeat(warmup) { block() }
    val samples = LongArray(5)
    for (s in samples.indices) {
        val t0 = System.nanoTime()
        repeat(iterations) { block() }
        samples[s] = (System.nanoTime() - t0) / iterations
    }
    samples.sort()
    println(String.format("%-58s median %7d ns/call  (min %d, max %d; %d x %d calls)",
        name, samples[2], samples[0], samples[4], samples.size, iterations))
}

fun main() {
    val backend = FakeBackend()
    val client = SidkitClient(SidkitConfig(CALLBACK_BASE, SmartIdEnvironment.LIVE, listOf(), null), FakeTransport(backend))
    val flow = client.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP, "eng", null))
    var sink = 0L
    // Baselines (the bench is compiled in the same Kotlin module as the generated code, so it
    // can reach its internals): a bare JNA direct call without a status structure, and the
    // allocation of the JNA status structure every generated call makes.
    measure("baseline: JNA direct call, no RustCallStatus", 200_000, 200_000) {
        sink += IntegrityCheckingUniffiLib.ffi_sidkit_uniffi_contract_version()
    }
    measure("baseline: allocate a UniffiRustCallStatus (JNA Structure)", 200_000, 200_000) {
        sink += UniffiRustCallStatus().code
    }
    measure("flow.remainingMs()      object method, u64 result", 200_000, 200_000) { sink += flow.remainingMs().toLong() }
    measure("flow.tick()             object method, bool result", 200_000, 200_000) { if (flow.tick()) sink++ }
    measure("sidkitVersion()         free function, String result", 200_000, 200_000) { sink += sidkitVersion().length }
    measure("flow.status()           object method, enum in RustBuffer", 100_000, 100_000) { sink += flow.status().hashCode() }
    val e = SidkitException.Transport("offline", true)
    measure("error.isRetryable()     error lowered into a RustBuffer", 100_000, 100_000) { if (e.isRetryable()) sink++ }
    runBlocking {
        flow.start()
        flow.markLaunched()
        measure("flow.poll()             async + foreign async transport call", 2_000, 5_000) {
            runBlocking { sink += flow.poll().hashCode() }
        }
    }
    println("(sink $sink)")
}
