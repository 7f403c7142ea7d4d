//! Two small async primitives, so that the library needs no async runtime: the futures are
//! driven by the app's executor (Kotlin coroutines, Swift tasks) through UniFFI.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// Locks a mutex, ignoring poisoning: every critical section here leaves the data consistent
/// (state machine transitions are single assignments), and panicking across the FFI boundary
/// is never an option.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A generation counter that futures can wait on: every change of a flow's state bumps it.
#[derive(Default)]
pub(crate) struct Signal {
    inner: Mutex<(u64, Vec<Waker>)>,
}

impl Signal {
    /// The current generation.
    pub(crate) fn generation(&self) -> u64 {
        lock(&self.inner).0
    }

    /// Bumps the generation and wakes every waiter.
    pub(crate) fn notify(&self) {
        let wakers = {
            let mut g = lock(&self.inner);
            g.0 = g.0.wrapping_add(1);
            std::mem::take(&mut g.1)
        };
        for w in wakers {
            w.wake();
        }
    }

    /// Resolves once the generation differs from `since`.
    pub(crate) fn changed(&self, since: u64) -> Changed<'_> {
        Changed {
            signal: self,
            since,
        }
    }
}

/// The future of [`Signal::changed`].
pub(crate) struct Changed<'a> {
    signal: &'a Signal,
    since: u64,
}

impl Future for Changed<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut g = lock(&self.signal.inner);
        if g.0 != self.since {
            return Poll::Ready(());
        }
        if !g.1.iter().any(|w| w.will_wake(cx.waker())) {
            g.1.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Which of two futures finished first.
pub(crate) enum Either<A, B> {
    /// The first.
    Left(A),
    /// The second.
    Right(B),
}

/// Polls `b` then `a` until one is ready. `b` is polled first so that a cancellation signal
/// wins over a result that arrives in the same wake-up.
pub(crate) async fn race<A, B>(a: Pin<&mut A>, b: B) -> Either<A::Output, B::Output>
where
    A: Future + ?Sized,
    B: Future,
{
    let mut a = a;
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct CountingWaker(Mutex<u32>);
    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            *lock(&self.0) += 1;
        }
    }

    #[test]
    fn changed_resolves_after_notify_and_wakes_once_per_waiter() {
        let s = Signal::default();
        let w = Arc::new(CountingWaker(Mutex::new(0)));
        let waker = Waker::from(w.clone());
        let mut cx = Context::from_waker(&waker);
        let g = s.generation();
        let mut fut = std::pin::pin!(s.changed(g));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(lock(&s.inner).1.len(), 1, "the same waker is stored once");
        s.notify();
        assert_eq!(*lock(&w.0), 1);
        assert!(fut.as_mut().poll(&mut cx).is_ready());
        assert!(std::pin::pin!(s.changed(g))
            .as_mut()
            .poll(&mut cx)
            .is_ready());
    }

    #[test]
    fn race_prefers_the_signal() {
        let w = Arc::new(CountingWaker(Mutex::new(0)));
        let waker = Waker::from(w);
        let mut cx = Context::from_waker(&waker);
        let mut a = std::pin::pin!(std::future::ready(1));
        let r = std::pin::pin!(race(a.as_mut(), std::future::ready(2))).poll(&mut cx);
        assert!(matches!(r, Poll::Ready(Either::Right(2))));
        let mut a = std::pin::pin!(std::future::ready(1));
        let r = std::pin::pin!(race(a.as_mut(), std::future::pending::<()>())).poll(&mut cx);
        assert!(matches!(r, Poll::Ready(Either::Left(1))));
    }
}
