"""The one place that imports scikit-learn's (private) parameter-validation helpers.

scikit-learn's ``_parameter_constraints`` + ``_fit_context`` give declarative validation
with messages such as "The 'alpha' parameter of Lasso must be a float in the range
[0.0, inf). Got -1 instead."; keeping the private imports here means one file to mend
if scikit-learn moves them.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = ["Interval", "StrOptions", "_fit_context", "validate_params"]
