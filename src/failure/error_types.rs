//! Several error types at once, for [`Failure::check_any`](super::Failure::check_any) and
//! [`Failure::trap_any`](super::Failure::trap_any): Twisted's `f.check(SpamError, EggError)`.

use std::error::Error;

/// A tuple of one to eight error types, `(A,)` to `(A, B, C, D, E, F, G, H)`, for
/// [`Failure::check_any`](crate::Failure::check_any) and
/// [`Failure::trap_any`](crate::Failure::trap_any). Sealed: only these tuples implement it.
///
/// ```
/// use deferreds::Failure;
/// use std::num::ParseIntError;
///
/// let failure = Failure::new(std::fmt::Error);
/// assert_eq!(failure.check_any::<(ParseIntError, std::fmt::Error)>(), Some(1));
/// assert_eq!(failure.check_any::<(ParseIntError,)>(), None);
/// ```
pub trait ErrorTypes: sealed::Sealed {}

pub(super) mod sealed {
    use std::error::Error;

    /// Out of users' reach, so that the tuples above are the only `ErrorTypes`.
    pub trait Sealed {
        /// The place in the tuple of the first type that `error` is, if any.
        fn position_of(error: &(dyn Error + 'static)) -> Option<usize>;
    }
}

macro_rules! impl_error_types {
    ($($name:ident),+) => {
        impl<$($name: Error + 'static),+> ErrorTypes for ($($name,)+) {}

        impl<$($name: Error + 'static),+> sealed::Sealed for ($($name,)+) {
            fn position_of(error: &(dyn Error + 'static)) -> Option<usize> {
                [$(error.is::<$name>()),+].iter().position(|&matched| matched)
            }
        }
    };
}

impl_error_types!(A);
impl_error_types!(A, B);
impl_error_types!(A, B, C);
impl_error_types!(A, B, C, D);
impl_error_types!(A, B, C, D, E);
impl_error_types!(A, B, C, D, E, F);
impl_error_types!(A, B, C, D, E, F, G);
impl_error_types!(A, B, C, D, E, F, G, H);
