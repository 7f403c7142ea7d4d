package dev.sidkit.android.tests

import dev.sidkit.android.SmartIdException
import dev.sidkit.android.toSmartIdException
import dev.sidkit.ffi.FlowErrorKind
import dev.sidkit.ffi.LinkRejectionKind
import dev.sidkit.ffi.ReturnUrlRejectionKind
import dev.sidkit.ffi.SidkitException
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertSame
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import kotlin.reflect.KClass

/**
 * The mapping from the generated SidkitException to SmartIdException, for every variant and
 * every kind (plain JUnit: the generated code() / isRetryable() call libsidkit).
 */
class SmartIdExceptionTest {
    private fun check(e: SidkitException, expected: KClass<out SmartIdException>, retryable: Boolean = e.isRetryable()) {
        val m = e.toSmartIdException()
        assertEquals("$e", expected, m::class)
        assertEquals("the core's code", e.code(), m.code)
        assertEquals(retryable, m.isRetryable)
        assertSame("the original is the cause", e, m.cause)
        assertTrue("the reason is the message: ${m.message}", m.message!!.isNotEmpty())
        assertTrue(m.userMessage.isNotEmpty())
        assertFalse("no backend text in the user message", m.userMessage.contains("SECRET-DETAIL"))
    }

    @Test
    fun everyFlowErrorKindMapsToOneSubclass() {
        val expected = mapOf(
            FlowErrorKind.CANCELLED to SmartIdException.Cancelled::class,
            FlowErrorKind.EXPIRED to SmartIdException.Expired::class,
            FlowErrorKind.INVALID_STATE to SmartIdException.FlowFailed::class,
            FlowErrorKind.BUSY to SmartIdException.FlowFailed::class,
            FlowErrorKind.BAD_RESPONSE to SmartIdException.FlowFailed::class,
            FlowErrorKind.SNAPSHOT to SmartIdException.FlowFailed::class,
            FlowErrorKind.OUTCOME_DELIVERED to SmartIdException.FlowFailed::class,
            FlowErrorKind.CONTRACT_VERSION to SmartIdException.ContractVersion::class,
        )
        assertEquals("every kind is listed", FlowErrorKind.entries.toSet(), expected.keys)
        for ((kind, cls) in expected) check(SidkitException.Flow(kind, "SECRET-DETAIL"), cls)
        assertTrue("busy is retryable", SidkitException.Flow(FlowErrorKind.BUSY, "x").toSmartIdException().isRetryable)
        assertEquals("flow_cancelled", SidkitException.Flow(FlowErrorKind.CANCELLED, "x").toSmartIdException().code)
        assertEquals("contract_version", SidkitException.Flow(FlowErrorKind.CONTRACT_VERSION, "x").toSmartIdException().code)
    }

    @Test
    fun everyLinkAndReturnRejectionKindMaps() {
        val linkCodes = LinkRejectionKind.entries.map { k ->
            val e = SidkitException.LinkRejected(k, "SECRET-DETAIL")
            check(e, SmartIdException.LinkRejected::class)
            e.toSmartIdException().code
        }
        assertEquals("each kind keeps its own code", LinkRejectionKind.entries.size, linkCodes.toSet().size)
        val returnCodes = ReturnUrlRejectionKind.entries.map { k ->
            val e = SidkitException.ReturnUrlRejected(k, "SECRET-DETAIL")
            check(e, SmartIdException.ReturnRejected::class)
            e.toSmartIdException().code
        }
        assertEquals(ReturnUrlRejectionKind.entries.size, returnCodes.toSet().size)
        assertTrue(returnCodes.contains("return_url_replayed"))
    }

    @Test
    fun transportBackendInputAndUnexpectedMap() {
        check(SidkitException.Transport("SECRET-DETAIL", true), SmartIdException.Network::class, retryable = true)
        check(SidkitException.Transport("SECRET-DETAIL", false), SmartIdException.Network::class, retryable = false)
        check(SidkitException.Backend(503u, "unavailable", "SECRET-DETAIL", true), SmartIdException.Backend::class, retryable = true)
        check(SidkitException.Backend(400u, "invalid_request", "SECRET-DETAIL", false), SmartIdException.Backend::class, retryable = false)
        check(SidkitException.InvalidInput("callbackBase", "SECRET-DETAIL"), SmartIdException.InvalidInput::class)
        check(SidkitException.Unexpected("SECRET-DETAIL"), SmartIdException.Internal::class)
        assertEquals("transport", SidkitException.Transport("x", true).toSmartIdException().code)
        assertEquals("backend", SidkitException.Backend(500u, "x", "y", false).toSmartIdException().code)
        assertEquals("unexpected", SidkitException.Unexpected("x").toSmartIdException().code)
    }

    @Test
    fun theSubclassesAreExactlyThoseOfThePlatformTable() {
        val base = SmartIdException::class.java
        val names = base.declaredClasses.filter { base.isAssignableFrom(it) && it != base }.map { it.simpleName }.toSet()
        assertEquals(
            setOf(
                "Cancelled", "Expired", "Network", "Backend", "LinkRejected", "ReturnRejected", "FlowFailed",
                "CannotOpenLink", "InvalidInput", "ContractVersion", "Internal",
            ),
            names,
        )
        // Each has its own fixed user message.
        val messages = listOf(
            SmartIdException.Cancelled(), SmartIdException.Expired(), SmartIdException.Network("r"),
            SmartIdException.Backend("r"), SmartIdException.LinkRejected("r"), SmartIdException.ReturnRejected("r"),
            SmartIdException.FlowFailed("r"), SmartIdException.CannotOpenLink(), SmartIdException.InvalidInput("r"),
            SmartIdException.ContractVersion("r"), SmartIdException.Internal("r"),
        ).map { it.userMessage }
        assertEquals(11, messages.toSet().size)
    }

    @Test
    fun noWrapperSourceRebuildsErrorsAsCodeReasonStrings() {
        val root = File(System.getProperty("sidkit.root") ?: "../..")
        val sources = File(root, "android").walk().filter { it.isFile && it.extension == "kt" && "/src/main/" in it.path }.toList()
        assertTrue(sources.isNotEmpty())
        for (f in sources) {
            val text = f.readText()
            assertFalse("${f.path} builds an INVALID_STATE error", text.contains("FlowErrorKind.INVALID_STATE, \""))
            assertFalse("${f.path} formats \"code: reason\"", Regex("\"\\$\\{?[a-z.]*code\\}?: \\$").containsMatchIn(text))
        }
    }

    @Test
    fun theGeneratedKotlinNamesNoSidkitError() {
        // The rustdoc of bindings/src is copied into the generated Kotlin, where the error type
        // is SidkitException (SidkitError is its Swift name).
        val root = File(System.getProperty("sidkit.root") ?: "../..")
        val generated = File(root, "target/bindings/kotlin/dev/sidkit/ffi/sidkit.kt")
        assertTrue("generate the bindings first (${generated.path})", generated.isFile)
        val hits = generated.readLines().withIndex().filter { Regex("\\bSidkitError\\b").containsMatchIn(it.value) }
        assertEquals(hits.joinToString("\n") { "${it.index + 1}: ${it.value.trim()}" }, 0, hits.size)
    }
}
