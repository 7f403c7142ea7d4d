package dev.sidkit.android

import dev.sidkit.ffi.FlowKind
import dev.sidkit.ffi.FlowRequest
import dev.sidkit.ffi.Presentation

/**
 * The language of Smart-ID's fallback page (the page a phone without the Smart-ID app opens):
 * the languages that page supports.
 *
 * @property code the ISO 639-2 code the backend and Smart-ID take.
 */
enum class SmartIdLanguage(val code: String) {
    /** English. */
    ENG("eng"),

    /** Estonian. */
    EST("est"),

    /** Russian. */
    RUS("rus"),

    /** Lithuanian. */
    LIT("lit"),

    /** Latvian. */
    LAV("lav"),

    /** Dutch. */
    NLD("nld"),

    /** French. */
    FRA("fra"),

    /** German. */
    DEU("deu"),
    ;

    /** Lookup by code. */
    companion object {
        /** The language of an ISO 639-2 [code], or `null` if the fallback page does not support it. */
        fun ofCode(code: String): SmartIdLanguage? = entries.firstOrNull { it.code == code }
    }
}

/**
 * What to run: the input of [SmartIdLogin] and of [SmartIdFlowCoordinator.start] /
 * [SmartIdFlowCoordinator.run].
 *
 * @property kind authentication, signature, or certificate choice + signature.
 * @property lang the language of Smart-ID's fallback page.
 * @property signingContext the app's own reference of what to sign (e.g. a document id; never a
 *   digest), passed to the backend; `null` for authentication.
 * @property presentation App2App on this phone (the default), or a QR code for another device
 *   (coordinator only; [SmartIdLogin] runs App2App).
 */
data class SmartIdRequest(
    val kind: FlowKind = FlowKind.AUTHENTICATION,
    val lang: SmartIdLanguage = SmartIdLanguage.ENG,
    val signingContext: String? = null,
    val presentation: Presentation = Presentation.APP2APP,
) {
    /** The generated bindings' request. */
    internal fun toFlowRequest(): FlowRequest = FlowRequest(kind, presentation, lang.code, signingContext)

    /** Constructors for the three flow kinds. */
    companion object {
        /** Authenticate the user. */
        fun authentication(lang: SmartIdLanguage = SmartIdLanguage.ENG): SmartIdRequest =
            SmartIdRequest(FlowKind.AUTHENTICATION, lang)

        /** Sign what the backend resolves [signingContext] to. */
        fun signature(signingContext: String?, lang: SmartIdLanguage = SmartIdLanguage.ENG): SmartIdRequest =
            SmartIdRequest(FlowKind.SIGNATURE, lang, signingContext)

        /** Let the user choose a certificate, then sign with it. */
        fun certificateChoiceAndSignature(signingContext: String?, lang: SmartIdLanguage = SmartIdLanguage.ENG): SmartIdRequest =
            SmartIdRequest(FlowKind.CERTIFICATE_CHOICE_AND_SIGNATURE, lang, signingContext)
    }
}
